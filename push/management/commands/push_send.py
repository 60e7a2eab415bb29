"""manage.py push_send: a notification by hand, to some users or to everyone, with progress."""

import json
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from push import clock, handoff, languages
from push.delivery.reports import DeliveryReport
from push.handoff import inline_delivery
from push.models import PushToken
from push.notification import Notification
from push.types import SYSTEM, type_names
from push.users import email_field, has_field, user_id_of

# Identifiers looked up per query (a users file may hold many thousands).
LOOKUP_BATCH = 1000
# The furthest ahead --at may schedule a notification.
MAX_AHEAD = timedelta(days=30)
# At most this many users are named by --dry-run and by an error about unknown users.
NAMED = 20
BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Send a notification by hand to some users (by id, username or email, on the command "
        "line or in a file) or to every active user; --dry-run says who would get it, --at "
        "sends it later."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--user",
            action="append",
            dest="identifiers",
            default=[],
            metavar="ID|USERNAME|EMAIL",
            help="A user by id, username or email. Repeatable.",
        )
        parser.add_argument(
            "--users-file",
            type=Path,
            help="A file of users, one id, username or email a line ('#' comments).",
        )
        parser.add_argument("--all", action="store_true", dest="everyone", help="Every user.")
        parser.add_argument("--title", required=True)
        parser.add_argument("--body", required=True)
        parser.add_argument("--type", dest="kind", default=SYSTEM, choices=type_names())
        parser.add_argument("--data", default=None, help='JSON object, e.g. \'{"type": "system"}\'')
        parser.add_argument(
            "--at",
            default=None,
            metavar="DATETIME",
            help="Send later, at most 30 days ahead: an ISO 8601 date and time (e.g. "
            "2026-12-01T09:00, in TIME_ZONE unless it has an offset). Whatever delivers what "
            "is due (the background thread, push_deliver, Celery beat) sends it then; the "
            "inbox lists it from then on.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say who would get it, by device type, and send nothing.",
        )
        parser.add_argument(
            "--key",
            default="",
            help="Idempotency key: users who already got a notification with it are skipped.",
        )

    def handle(
        self,
        *args: Any,
        identifiers: list[str],
        users_file: Path | None,
        everyone: bool,
        title: str,
        body: str,
        kind: str,
        data: str | None,
        at: str | None,
        dry_run: bool,
        key: str,
        **options: Any,
    ) -> None:
        payload = _data(data)
        due = _due_time(at)
        if users_file is not None:
            identifiers = [*identifiers, *_read_users_file(users_file)]
        if everyone and (identifiers or users_file is not None):
            raise CommandError("Give --all or users (--user, --users-file), not both.")
        if not everyone and not identifiers:
            raise CommandError(
                "Give users with --user or --users-file, or --all for every active user."
            )
        spoken: dict[Any, str] | None = None  # each user's language, by id
        if everyone:
            spoken = dict(languages.stream(_active_users()))  # ids and languages in one read
            user_ids = list(spoken)
        else:
            user_ids = resolve(identifiers)
        try:
            notification = Notification(None, title, body, data=payload, type=kind, key=key)
        except (TypeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            self._dry_run(user_ids, title, due)
            return
        progress = Progress(self.stdout, len(user_ids), self.stdout.isatty())
        try:
            if spoken is None:
                spoken = handoff.existing_recipients(user_ids)
            recipients = ((pk, spoken[pk]) for pk in user_ids)
            if due is None:
                # It reports to a person: deliver now and say what happened, whatever DELIVERY.
                with inline_delivery():
                    summary = handoff.add_many(notification, recipients, on_chunk=progress.add)
            else:
                summary = handoff.schedule_many(
                    notification, recipients, due, on_chunk=progress.add
                )
        except (TypeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        progress.finish()
        when = f" (due {due.isoformat()})" if due is not None else ""
        self.stdout.write(
            f"push_send: {summary['total']} user(s): {summary['successful']} sent, "
            f"{summary['failed']} failed, {summary['skipped']} skipped, "
            f"{summary['pending']} pending{when}; {summary['devices']} device(s)"
        )
        left_out = len(user_ids) - summary["total"]
        if key and left_out:
            self.stdout.write(
                f"push_send: {left_out} user(s) already had a notification with the key "
                f"{key!r}: left out, nothing sent to them again."
            )

    def _dry_run(self, user_ids: list[Any], title: str, due: datetime | None) -> None:
        devices = _devices_by_type(user_ids)
        with_device = _users_with_a_device(user_ids)
        by_type = ", ".join(f"{kind}: {count}" for kind, count in sorted(devices.items()))
        when = f"at {due.isoformat()}" if due is not None else "now"
        self.stdout.write(
            f"push_send --dry-run: “{title}” would go {when} to {len(user_ids)} user(s): "
            f"{with_device} with an active device ({sum(devices.values())} device(s)"
            f"{': ' + by_type if by_type else ''}), {len(user_ids) - with_device} without one "
            "(skipped). Preferences and quiet hours are applied when it is delivered."
        )
        named = _describe_users(user_ids[:NAMED])
        for line in named:
            self.stdout.write(f"  {line}")
        if len(user_ids) > NAMED:
            self.stdout.write(f"  … and {len(user_ids) - NAMED} more")
        self.stdout.write("Nothing was sent.")


class Progress:
    """A progress bar on a terminal; plain lines, one per chunk, elsewhere."""

    def __init__(self, out: Any, total: int, terminal: bool) -> None:
        self.out, self.total, self.terminal = out, total, terminal
        self.report = DeliveryReport()
        self.started = time.monotonic()

    def add(self, chunk: DeliveryReport) -> None:
        self.report.add(chunk)
        done, report = self.report.total, self.report
        counts = (
            f"{report.successful} sent, {report.failed} failed, "
            f"{report.skipped} skipped, {report.pending} pending"
        )
        if self.terminal:
            filled = BAR_WIDTH * done // self.total if self.total else BAR_WIDTH
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            rate = done / max(time.monotonic() - self.started, 1e-6)
            self.out.write(f"\r[{bar}] {done}/{self.total} ({counts}, {rate:.0f}/s)", ending="")
            self.out.flush()
        else:
            self.out.write(f"push_send: {done}/{self.total} user(s) done: {counts}")

    def finish(self) -> None:
        if self.terminal and self.report.total:
            self.out.write("")  # ends the bar's line


def resolve(identifiers: Iterable[str]) -> list[Any]:
    """Return the ids of the active users named by id, username or email, in first-seen order.

    An identifier is tried as an id (whatever the user model's primary key is: digits, a
    UUID, ...), then as the username (USERNAME_FIELD), then as an email (case-insensitive,
    where the user model has one). One that names nobody, or an email several users share,
    raises CommandError naming them.
    """
    wanted = list(dict.fromkeys(ident.strip() for ident in identifiers if ident.strip()))
    found: dict[str, Any] = {}
    ambiguous: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        _look_up(batch, found, ambiguous)
    if ambiguous:
        raise CommandError(
            f"Several users have the email: {_some(sorted(ambiguous))}; give their ids instead."
        )
    missing = [ident for ident in wanted if ident not in found]
    if missing:
        raise CommandError(f"No active user with that id, username or email: {_some(missing)}.")
    return list(dict.fromkeys(found[ident] for ident in wanted))


def _as_pk(ident: str) -> Any:
    """The identifier read as the user model's primary key, or None if it cannot be one."""
    try:
        return user_id_of(ident)
    except (TypeError, ValueError):
        return None


def _look_up(batch: list[str], found: dict[str, Any], ambiguous: set[str]) -> None:
    model = get_user_model()
    username_field = model.USERNAME_FIELD
    email_name = email_field()
    pks = {ident: pk for ident in batch if (pk := _as_pk(ident)) is not None}
    lowered = {ident.lower() for ident in batch}
    users = _active_users()
    wanted = Q(pk__in=list(pks.values())) | Q(**{f"{username_field}__in": batch})
    columns = ["pk", username_field]
    if email_name is not None:
        users = users.annotate(_email=Lower(email_name))
        wanted |= Q(_email__in=lowered)
        columns.append("_email")
    by_pk, by_username, by_email = {}, {}, {}
    emails: dict[str, set] = {}
    for pk, username, *email in users.filter(wanted).values_list(*columns):
        by_pk[pk] = pk
        by_username[username] = pk
        if email and email[0]:
            emails.setdefault(email[0], set()).add(pk)
    for email, owners in emails.items():
        by_email[email] = next(iter(owners)) if len(owners) == 1 else None
    for ident in batch:
        if pks.get(ident) in by_pk:
            found[ident] = by_pk[pks[ident]]
        elif ident in by_username:
            found[ident] = by_username[ident]
        elif ident.lower() in by_email:
            pk = by_email[ident.lower()]
            if pk is None:
                ambiguous.add(ident)
            else:
                found[ident] = pk


def _active_users() -> QuerySet:
    """The users that may be notified: the active ones, where the model says which."""
    model = get_user_model()
    users = model._default_manager.order_by("pk")
    if has_field(model, "is_active"):
        users = users.filter(is_active=True)
    return users


def _read_users_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read --users-file {path}: {exc}") from None
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    users = [line for line in lines if line]
    if not users:
        raise CommandError(f"--users-file {path} names no user.")
    return users


def _due_time(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    text = raw.strip()
    try:
        due = parse_datetime(text)
    except ValueError:
        due = None
    # A date alone would mean midnight, which is rarely what anyone means: ask for a time.
    if due is None or ":" not in text:
        raise CommandError(
            f"--at {raw!r} is not an ISO 8601 date and time (e.g. 2026-12-01T09:00, in "
            "TIME_ZONE, or 2026-12-01T09:00+01:00)."
        )
    if timezone.is_naive(due):
        due = timezone.make_aware(due)
    now = clock.now()
    if due <= now:
        raise CommandError(f"--at {raw!r} is in the past; leave --at out to send now.")
    if due > now + MAX_AHEAD:
        raise CommandError(
            f"--at {raw!r} is more than {MAX_AHEAD.days} days ahead: schedule it closer to "
            "its day (a scheduled notification waits in the outbox until then)."
        )
    return due


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


def _devices_by_type(user_ids: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ids in _batches(user_ids):
        rows = (
            PushToken.objects.active()
            .filter(user_id__in=ids)
            .values("device_type")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            counts[row["device_type"]] = counts.get(row["device_type"], 0) + row["n"]
    return counts


def _users_with_a_device(user_ids: list[Any]) -> int:
    return sum(
        PushToken.objects.active().filter(user_id__in=ids).values("user_id").distinct().count()
        for ids in _batches(user_ids)
    )


def _describe_users(user_ids: list[Any]) -> list[str]:
    model = get_user_model()
    names = dict(
        model._default_manager.filter(pk__in=user_ids).values_list("pk", model.USERNAME_FIELD)
    )
    devices: dict[int, list[str]] = {}
    active = PushToken.objects.active().filter(user_id__in=user_ids)
    for user_id, kind in active.values_list("user_id", "device_type"):
        devices.setdefault(user_id, []).append(kind)
    lines = []
    for user_id in user_ids:
        kinds = devices.get(user_id)
        what = ", ".join(sorted(kinds)) if kinds else "no active device"
        lines.append(f"{names.get(user_id, user_id)} (#{user_id}): {what}")
    return lines


def _batches(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), LOOKUP_BATCH):
        yield ids[start : start + LOOKUP_BATCH]


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED])
    return shown + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")
