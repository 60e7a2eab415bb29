from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

import push


class Command(BaseCommand):
    help = (
        "Fetch Expo receipts for tickets old enough (default from RECEIPT_MIN_AGE_SECONDS), "
        "retire dead tokens and record failures. Safe to run from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-age", type=float, default=None, help="Seconds a ticket must be old."
        )

    def handle(self, *args, min_age: float | None, **options) -> None:
        if min_age is not None and min_age < 0:
            raise CommandError("--min-age must not be negative.")
        try:
            report = push.check_receipts(None if min_age is None else timedelta(seconds=min_age))
        except push.PushError as failure:
            raise CommandError(f"Expo did not answer: {failure}") from None
        self.stdout.write(f"push_receipts: {report.summary()}")
