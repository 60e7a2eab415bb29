import signal

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Min

from push import clock
from push.checks import unshared_rate_limit
from push.delivery.receipts import ReceiptReport
from push.delivery.reports import DeliveryReport
from push.delivery.worker import Worker
from push.models import NotificationLog


class Command(BaseCommand):
    help = (
        "Deliver pending notifications that are due (retries, held ones, anything a crashed "
        "process left); with --loop, also fetch Expo's receipts as they come due. Safe to run "
        "from cron and on many machines at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Keep running as a worker until SIGTERM/SIGINT."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="--loop: seconds between looks for due work while there is work (default "
            "BACKGROUND_POLL_SECONDS, 5); while idle the looks back off to IDLE_POLL_SECONDS.",
        )
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per claim.")

    def handle(self, *args, loop: bool, interval: float | None, batch_size: int | None, **options):
        if interval is not None and not 0 < interval <= 3600:
            raise CommandError("--interval must be a positive number of seconds (at most 3600).")
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        worker = Worker(
            batch_size=batch_size,
            poll_interval=interval,
            on_batch=self._report_batch if loop else None,
            on_receipts=self._report_receipts if loop else None,
        )
        if loop and unshared_rate_limit():
            self.stderr.write(
                "push_deliver: warning: Expo's rate limit is counted in this process only; "
                "with other workers or web processes sending, set "
                "PUSH_NOTIFICATIONS['RATE_LIMIT_REDIS_URL'] so they share it (push.W005)."
            )
        if loop:
            previous = {
                signum: signal.signal(signum, lambda *_: worker.stop())
                for signum in (signal.SIGTERM, signal.SIGINT)
            }
            try:
                total = worker.run_forever()
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
        else:
            total = worker.run_once()
        self.stdout.write(f"push_deliver: {total.summary()}")
        self.stdout.write(f"push_deliver: {outlook()}")

    def _report_batch(self, report: DeliveryReport) -> None:
        self.stdout.write(f"batch: {report.summary()}")
        self.stdout.flush()

    def _report_receipts(self, report: ReceiptReport) -> None:
        self.stdout.write(f"receipts: {report.summary()}")
        self.stdout.flush()


def outlook() -> str:
    """Say how many notifications stay pending and when the next one is due."""
    now = clock.now()
    counts = NotificationLog.objects.outbox_figures(now)
    total = counts["pending"] + counts["waiting"]
    if not total:
        return "nothing pending."
    text = f"{total} pending"
    if counts["leased"]:
        text += f" ({counts['leased']} being delivered by another process)"
    if counts["pending"] > counts["leased"]:
        return text + "; some are due now (run again, or another worker is taking them)."
    waiting = NotificationLog.objects.waiting(now)
    later = waiting.aggregate(first=Min("next_attempt_at"))["first"]
    if later is not None:
        wait = max(0, round((later - now).total_seconds()))
        text += f"; the next is due at {later:%Y-%m-%d %H:%M:%S} UTC (in {wait} s)"
    return text + "."
