from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from push.auth.access_tokens import issue_access_token


class Command(BaseCommand):
    help = "Print a bearer access token for a user (for the curl walkthrough and manual tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--minutes",
            type=int,
            default=None,
            help="Lifetime (default: settings.ACCESS_TOKEN_LIFETIME_MINUTES).",
        )

    def handle(self, *args, username: str, minutes: int | None, **options) -> None:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        if minutes is not None and minutes <= 0:
            raise CommandError("--minutes must be positive.")
        if minutes is None:
            minutes = settings.ACCESS_TOKEN_LIFETIME_MINUTES
        self.stdout.write(issue_access_token(user, timedelta(minutes=minutes)))
