"""A delivery worker (`push_deliver`): delivers what is due until told to stop.

Run once (cron), it delivers every due notification and returns. Run in a loop, it also
fetches the receipts that are due, and looks for work on the background thread's
schedule (push.delivery.polling): soon while there is work, rarely while idle.
"""

import logging
import threading
from collections.abc import Callable

from push.conf import push_settings
from push.delivery.engine import deliver_due
from push.delivery.polling import (
    NOTHING_KNOWN,
    RECEIPT_ASKED_AGAIN_AFTER,
    PollSchedule,
    due_work,
)
from push.delivery.receipts import ReceiptReport, check_receipts
from push.delivery.reports import DeliveryReport

logger = logging.getLogger(__name__)


class Worker:
    """Deliver what is due; `stop()` (from a signal handler) ends it after the batch in hand."""

    def __init__(
        self,
        *,
        batch_size: int | None = None,
        poll_interval: float | None = None,
        on_batch: Callable[[DeliveryReport], None] | None = None,
        on_receipts: Callable[[ReceiptReport], None] | None = None,
    ) -> None:
        self.batch_size = batch_size or push_settings.BATCH_SIZE
        self.poll_interval = poll_interval
        self.on_batch = on_batch
        self.on_receipts = on_receipts
        self.total = DeliveryReport()
        self.receipts = ReceiptReport()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Ask the worker to finish the batch in hand and return."""
        self._stopping.set()

    def run_once(self) -> DeliveryReport:
        """Deliver batches until nothing is due (or stop() is called); return the totals."""
        deliver_due(batch_size=self.batch_size, stop=self._stopping, on_chunk=self._add)
        return self.total

    def run_forever(self) -> DeliveryReport:
        """Run until stop(): deliver what is due and fetch due receipts, as they come due."""
        schedule = PollSchedule(self.poll_interval)
        while not self._stopping.is_set():
            try:
                work = due_work()
                if work.outbox_now:
                    self.run_once()
                if work.receipts_now:
                    self._check_receipts()
                schedule.looked(work)
            except Exception:  # the database or Expo is away: look again later
                logger.exception("push_deliver: a round failed; trying again later.")
                schedule.looked(NOTHING_KNOWN)
            self._stopping.wait(schedule.seconds_left())
        return self.total

    def _check_receipts(self) -> None:
        report = check_receipts(asked_again_after=RECEIPT_ASKED_AGAIN_AFTER)
        if report.checked:
            self.receipts.add(report)
            if self.on_receipts is not None:
                self.on_receipts(report)

    def _add(self, report: DeliveryReport) -> None:
        if report.total == 0:
            return
        self.total.add(report)
        if self.on_batch is not None:
            self.on_batch(report)
