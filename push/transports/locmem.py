"""Keep sent messages in `push.outbox`, like `django.core.mail.outbox`, for tests."""

import copy
import uuid
from collections.abc import Sequence
from typing import Any

import push
from push.transports.base import BaseTransport, OutgoingMessage, Receipt, Ticket


class LocmemTransport(BaseTransport):
    """Append a copy of every message to `push.outbox` (a list) and accept it.

    Copies, so a test sees what was sent even if the caller changes its payloads later.
    Reset the outbox between tests with `push.outbox.clear()` (or the `push_outbox` fixture).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__()  # no network: no pacing, no threads, no retries

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[Ticket]:
        push.outbox.extend(copy.deepcopy(list(messages)))
        return [Ticket.accepted(str(uuid.uuid4())) for _ in messages]

    def fetch_receipts(self, ticket_ids: Sequence[str]) -> dict[str, Receipt]:
        return {}  # nothing was delivered anywhere: no receipts, ever
