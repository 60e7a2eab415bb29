"""The delivery engine: from pending NotificationLog rows to Expo tickets, recorded.

An orchestrator: each chunk is claimed (push.delivery.claims), screened and matched to its
devices (targets), turned into Expo messages (push.payloads), submitted to the transport,
and its answers recorded (recording). A `Pipeline` keeps several chunks in flight and
records each as soon as its answers are in, whatever the order: one slow or hung request
delays only its own chunk. While chunks are in flight their leases are renewed, so nobody
else claims (and sends again) what is on its way.
"""

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from django.db import DatabaseError, connection

from push import clock
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


class Pipeline:
    """Chunks of claimed notifications on their way to Expo, recorded as they come back."""

    def __init__(
        self,
        transport: BaseTransport | None = None,
        *,
        deadline: float | None = None,
        on_chunk: Callable[[DeliveryReport], None] | None = None,
        on_answer: Callable[[], None] | None = None,
        max_in_flight: int = CHUNKS_IN_FLIGHT,
    ) -> None:
        """`on_chunk` hears each chunk's report as it is recorded; `on_answer` is called
        (from the transport's threads) whenever Expo answered one of its requests."""
        self.transport = transport or shared_transport()
        self.transport.open()
        self.deadline = deadline
        self.on_chunk = on_chunk
        self.on_answer = on_answer
        self.max_in_flight = max_in_flight
        self.report = DeliveryReport()
        self._in_flight: list[tuple[Chunk, PendingSend]] = []
        self._renew_every = max(push_settings.LEASE_SECONDS / 3, 0.05)
        self._renewed_at = time.monotonic()

    def __len__(self) -> int:
        return len(self._in_flight)

    @property
    def full(self) -> bool:
        """Whether as many chunks are in flight as the pipeline takes."""
        return len(self._in_flight) >= self.max_in_flight

    def send(self, rows: list[NotificationLog], *, claimed: bool = False) -> int:
        """Screen one chunk and submit it to the transport; return how many rows it holds.

        The rows are claimed first, unless the caller `claimed` them; a row another worker
        holds is left alone. The chunk is recorded later, by `record_finished` or `drain`.
        """
        pending = [row for row in rows if row.status == NotificationStatus.PENDING]
        chunk = prepare(pending if claimed else claim_rows(pending), self.report)
        badges = badge_counts({target.notification.user_id for target in chunk.targets})
        now = clock.now()
        messages = [
            OutgoingMessage(
                target.token,
                target.digest.payload(badges, now)
                if target.digest is not None
                else payload_for(target.notification, badges, now),
            )
            for target in chunk.targets
        ]
        send = self.transport.submit(messages, deadline=self.deadline)
        if self.on_answer is not None:
            send.add_done_callback(self.on_answer)
        self._in_flight.append((chunk, send))
        return len(chunk.notifications)

    def record_finished(self, wait: float = 0.0) -> int:
        """Record every chunk whose answers are all in; return how many were recorded.

        Waits up to `wait` seconds for one to finish when none has (renewing the leases of
        what is in flight meanwhile).
        """
        end = time.monotonic() + wait
        while True:
            finished = [item for item in self._in_flight if item[1].done()]
            left = end - time.monotonic()
            if finished or not self._in_flight or left <= 0:
                break
            PendingSend.wait_any([send for _, send in self._in_flight], min(left, 1.0))
            self._renew_if_due()
        for item in finished:
            self._in_flight.remove(item)
            self._record(*item)
        self._renew_if_due()
        return len(finished)

    def drain(self) -> None:
        """Record every chunk in flight, waiting for their answers."""
        while self._in_flight:
            self.record_finished(wait=math.inf)

    def _record(self, chunk: Chunk, send: PendingSend) -> None:
        chunk_report = DeliveryReport()
        record(chunk, send.result(), chunk_report)
        self.report.add(chunk_report)
        if self.on_chunk is not None:
            self.on_chunk(chunk_report)

    def _renew_if_due(self) -> None:
        """Extend the leases of the chunks in flight every third of a lease.

        A claim stays its holder's while its work is in flight, however long Expo, the rate
        limit or the retries take. A database error only postpones the renewal: the lease
        has two thirds of its time left.
        """
        if not self._in_flight or time.monotonic() - self._renewed_at < self._renew_every:
            return
        tokens = {n.lease_token for chunk, _ in self._in_flight for n in chunk.notifications}
        try:
            renew(tokens)
        except DatabaseError as exc:
            logger.warning("Renewing the leases of chunks in flight failed: %s", exc)
            if not connection.in_atomic_block:
                connection.close()  # a fresh connection for the next try
            return
        self._renewed_at = time.monotonic()


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
    are still in flight. `on_chunk` hears each chunk's report as it is recorded. Past
    `deadline` (a `time.monotonic()` value) no chunk is taken any more and what is in
    flight is cut short: the rest stays pending. Whatever happens while chunks are in
    flight (an exception preparing the next one), what Expo answered is recorded.
    """
    pipeline = Pipeline(transport, deadline=deadline, on_chunk=on_chunk)
    try:
        for rows in notifications:
            pipeline.send(rows, claimed=claimed)
            while len(pipeline) > CHUNKS_IN_FLIGHT:
                pipeline.record_finished(wait=math.inf)
            if deadline is not None and time.monotonic() >= deadline:
                break  # unclaimed rows stay pending, due now, for the next delivery
    finally:
        pipeline.drain()
    return pipeline.report


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
    stop: threading.Event | None = None,
    on_chunk: Callable[[DeliveryReport], None] | None = None,
    transport: BaseTransport | None = None,
) -> DeliveryReport:
    """Claim and deliver what is due, batch by batch, until nothing is; return the totals.

    The one "deliver what is due" of `push_deliver` and Celery beat's task; the background
    thread takes its batches from `due_batches` one look at a time. The next batch is
    claimed while the requests of the previous ones are in flight. It ends early once
    `stop` is set (after the batch in hand).
    """
    size = batch_size or push_settings.BATCH_SIZE
    return deliver(
        due_batches(size, stop=stop),
        transport,
        claimed=True,
        on_chunk=on_chunk,
    )


def due_batches(
    size: int, *, max_batches: int | None = None, stop: threading.Event | None = None
) -> Iterator[list[NotificationLog]]:
    """Yield claimed batches of due notifications until none is due (or a limit is met)."""
    taken = 0
    while (max_batches is None or taken < max_batches) and not (stop and stop.is_set()):
        rows = claim_due(size)
        if not rows:
            return
        taken += 1
        yield rows
