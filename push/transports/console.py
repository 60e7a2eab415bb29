"""Print what would be sent: development without a device."""

import json
import sys
import threading
import uuid
from collections.abc import Sequence
from typing import Any, TextIO

from push.tokens import mask_token
from push.transports.base import BaseTransport, OutgoingMessage, Receipt, Ticket


class ConsoleTransport(BaseTransport):
    """Write each message to a stream (stdout by default) and accept it."""

    def __init__(self, *, stream: TextIO | None = None, **options: Any) -> None:
        super().__init__()  # no network: no pacing, no threads, no retries
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[Ticket]:
        with self._lock:
            for message in messages:
                payload = json.dumps(message.payload, ensure_ascii=False, sort_keys=True)
                self.stream.write(f"push to {mask_token(message.token)}: {payload}\n")
            self.stream.flush()
        return [Ticket.accepted(str(uuid.uuid4())) for _ in messages]

    def fetch_receipts(self, ticket_ids: Sequence[str]) -> dict[str, Receipt]:
        return {}  # printed, not delivered: no receipts, ever
