from django.core.management.base import BaseCommand, CommandError, CommandParser

from push.exceptions import PushConfigurationError
from push.retention import PruneReport, prune


class Command(BaseCommand):
    help = (
        "Delete notifications (with their deliveries) older than RETENTION_DAYS in small "
        "batches, and deactivate tokens not registered again for STALE_TOKEN_DAYS. Safe to "
        "run from cron while sends go on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be deleted; change nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Notifications per transaction (default PRUNE_BATCH_SIZE).",
        )

    def handle(self, *args, dry_run: bool, batch_size: int | None, **options) -> None:
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        verbosity = options["verbosity"]

        def progress(report: PruneReport) -> None:
            if verbosity >= 2:
                self.stdout.write(
                    f"  batch {report.batches}: {report.notifications} notification(s) "
                    f"deleted so far"
                )

        try:
            report = prune(dry_run=dry_run, batch_size=batch_size, on_batch=progress)
        except PushConfigurationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"push_prune: {report.summary()}")
