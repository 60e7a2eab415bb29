"""Keep sent messages in `push.outbox`, like `django.core.mail.outbox`, for tests."""

import uuid
from collections.abc import Sequence

import push
from push.transports.base import BaseTransport, OutgoingMessage, Ticket


class LocmemTransport(BaseTransport):
    """Append every message to `push.outbox` (a list) and accept it.

    Reset it between tests with `push.outbox.clear()`.
    """

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[Ticket]:
        push.outbox.extend(messages)
        return [Ticket.accepted(str(uuid.uuid4())) for _ in messages]
