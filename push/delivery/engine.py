"""The delivery engine: from pending NotificationLog rows to Expo tickets, recorded.

An orchestrator: each chunk is claimed (push.delivery.claims), screened and matched to its
devices (targets), turned into Expo messages (push.payloads), submitted to the transport,
and its answers recorded (recording). The database work of one chunk overlaps the HTTP
requests of the chunks before it.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from django.utils import timezone

from push.conf import push_settings
from push.delivery.claims import claim_due, claim_ids, claim_rows, renew
from push.delivery.recording import record
from push.delivery.reports import DeliveryReport
from push.delivery.targets import Chunk, prepare
from push.models import NotificationLog, NotificationStatus
from push.payloads import badge_counts, payload_for
from push.transports import BaseTransport, OutgoingMessage, shared_transport
from push.transports.base import PendingSend

logger = logging.getLogger(__name__)

# Chunks whose HTTP requests may be in flight while the next chunk is prepared.
CHUNKS_IN_FLIGHT = 3


def deliver(
    notifications: Iterable[list[NotificationLog]],
    transport: BaseTransport | None = None,
    *,
    claimed: bool = False,
    on_chunk: Callable[[DeliveryReport], None] | None = None,
    deadline: float | None = None,
) -> DeliveryReport:
    """Deliver chunks of pending notifications; update them in place and in the database.

    Each chunk is claimed first (unless the caller `claimed` it), so a notification another
    worker holds is left alone. Chunks are taken from `notifications` while earlier ones
    are still in flight, and their leases are renewed while they are. `on_chunk` hears
    each chunk's report as it is recorded. Past `deadline` (a `time.monotonic()` value) no
    chunk is taken any more and what is in flight is cut short: the rest stays pending.
    """
    report = DeliveryReport()
    transport = transport or shared_transport()
    transport.open()
    in_flight: deque[tuple[Chunk, PendingSend]] = deque()

    def record_oldest() -> None:
        chunk_report = DeliveryReport()
        chunk, pending = in_flight.popleft()
        _wait_renewing_leases(pending, in_flight, chunk)
        record(chunk, pending.result(), chunk_report)
        report.add(chunk_report)
        if on_chunk is not None:
            on_chunk(chunk_report)

    for rows in notifications:
        pending = [row for row in rows if row.status == NotificationStatus.PENDING]
        chunk = prepare(pending if claimed else claim_rows(pending), report)
        badges = badge_counts({target.notification.user_id for target in chunk.targets})
        now = timezone.now()
        messages = [
            OutgoingMessage(
                target.token,
                target.digest.payload(badges, now)
                if target.digest is not None
                else payload_for(target.notification, badges, now),
            )
            for target in chunk.targets
        ]
        in_flight.append((chunk, transport.submit(messages, deadline=deadline)))
        if len(in_flight) > CHUNKS_IN_FLIGHT:
            record_oldest()
        if deadline is not None and time.monotonic() >= deadline:
            break  # unclaimed rows stay pending, due now, for the next delivery
    while in_flight:
        record_oldest()
    return report


def _wait_renewing_leases(
    pending: PendingSend, in_flight: Iterable[tuple[Chunk, PendingSend]], chunk: Chunk
) -> None:
    """Wait for `pending`, renewing the leases of every chunk in flight meanwhile.

    A claim stays its holder's while its work is in flight, however long Expo, the rate
    limit or the retries take: nobody else may claim (and send) it again.
    """
    interval = max(push_settings.LEASE_SECONDS / 3, 0.05)
    while not pending.wait(interval):
        chunks = [chunk, *(other for other, _ in in_flight)]
        renew({n.lease_token for c in chunks for n in c.notifications})


def deliver_ids(
    ids: Iterable[int], transport: BaseTransport | None = None, *, deadline: float | None = None
) -> DeliveryReport:
    """Claim and deliver the pending notifications with these primary keys."""
    ids = list(ids)
    size = push_settings.BATCH_SIZE
    chunks = (claim_ids(ids[start : start + size]) for start in range(0, len(ids), size))
    return deliver(chunks, transport, claimed=True, deadline=deadline)


def deliver_due(
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    stop: threading.Event | None = None,
    on_chunk: Callable[[DeliveryReport], None] | None = None,
    transport: BaseTransport | None = None,
) -> DeliveryReport:
    """Claim and deliver what is due, batch by batch, until nothing is; return the totals.

    The one "deliver what is due" of every runner: `push_deliver`, Celery beat's task and
    the background thread's poll. The next batch is claimed while the requests of the
    previous ones are in flight. It ends early after `max_batches`, or once `stop` is set
    (after the batch in hand).
    """
    size = batch_size or push_settings.BATCH_SIZE
    return deliver(
        _due_batches(size, max_batches, stop), transport, claimed=True, on_chunk=on_chunk
    )


def _due_batches(
    size: int, max_batches: int | None, stop: threading.Event | None
) -> Iterator[list[NotificationLog]]:
    taken = 0
    while (max_batches is None or taken < max_batches) and not (stop and stop.is_set()):
        rows = claim_due(size)
        if not rows:
            return
        taken += 1
        yield rows
