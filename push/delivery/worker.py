"""A delivery worker: claims due notifications batch by batch until told to stop."""

import logging
import threading
from collections.abc import Callable

from push.conf import push_settings
from push.delivery.engine import deliver_due
from push.delivery.reports import DeliveryReport

logger = logging.getLogger(__name__)


class Worker:
    """Deliver what is due; `stop()` (from a signal handler) ends it after the batch in hand."""

    def __init__(
        self,
        *,
        batch_size: int | None = None,
        poll_interval: float = 5.0,
        on_batch: Callable[[DeliveryReport], None] | None = None,
    ) -> None:
        self.batch_size = batch_size or push_settings.BATCH_SIZE
        self.poll_interval = poll_interval
        self.on_batch = on_batch
        self.total = DeliveryReport()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Ask the worker to finish the batch in hand and return."""
        self._stopping.set()

    def run_once(self) -> DeliveryReport:
        """Deliver batches until nothing is due (or stop() is called); return the totals."""
        deliver_due(batch_size=self.batch_size, stop=self._stopping, on_chunk=self._add)
        return self.total

    def run_forever(self) -> DeliveryReport:
        """Run until stop(): work while there is work, then poll every `poll_interval`."""
        while not self._stopping.is_set():
            self.run_once()
            self._stopping.wait(self.poll_interval)
        return self.total

    def _add(self, report: DeliveryReport) -> None:
        if report.total == 0:
            return
        self.total.add(report)
        if self.on_batch is not None:
            self.on_batch(report)
