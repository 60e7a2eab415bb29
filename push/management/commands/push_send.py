import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

import push
from push.handoff import inline_delivery
from push.models import NotificationType


class Command(BaseCommand):
    help = "Send a notification by hand to some users (by username) or to every active user."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", action="append", dest="usernames", help="Repeatable.")
        who.add_argument("--all", action="store_true", dest="everyone", help="Every active user.")
        parser.add_argument("--title", required=True)
        parser.add_argument("--body", required=True)
        parser.add_argument(
            "--type", dest="kind", default=NotificationType.SYSTEM, choices=NotificationType.values
        )
        parser.add_argument("--data", default=None, help='JSON object, e.g. \'{"type": "system"}\'')
        parser.add_argument(
            "--key",
            default="",
            help="Idempotency key: users who already got a notification with it are skipped.",
        )

    def handle(self, *args, usernames, everyone, title, body, kind, data, key, **options) -> None:
        payload = self._data(data)
        users = get_user_model()._default_manager.filter(is_active=True)
        if usernames:
            field = get_user_model().USERNAME_FIELD
            users = users.filter(**{f"{field}__in": usernames})
            missing = set(usernames) - set(users.values_list(field, flat=True))
            if missing:
                raise CommandError(f"No active user named: {', '.join(sorted(missing))}.")
        try:
            # It reports to a person: deliver now and say what happened, whatever DELIVERY.
            with inline_delivery():
                summary = push.send_bulk(users, title, body, data=payload, type=kind, key=key)
        except (TypeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"push_send: {summary['total']} user(s): {summary['successful']} sent, "
            f"{summary['failed']} failed, {summary['skipped']} skipped, "
            f"{summary['pending']} pending; {summary['devices']} device(s)"
        )

    @staticmethod
    def _data(raw: str | None) -> dict | None:
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            raise CommandError("--data is not valid JSON.") from None
        if not isinstance(data, dict):
            raise CommandError("--data must be a JSON object.")
        return data
