"""The figures of the push overview: a fixed number of aggregate queries, whatever the data.

Eight queries in all (each one GROUP BY or one aggregate row, none per hour or per row):
notifications per hour (24 h) and per day (30 days) by outcome, ticket errors and receipt
errors by code, the outbox, the receipts awaiting, the tokens, the last operator alert.
The time windows use the `created_at` index; the outbox and receipt figures read partial
indexes that hold only pending rows and only tickets awaiting a receipt.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDay, TruncHour
from django.db.models.query import QuerySet
from django.utils import timezone

from push import clock
from push.errors import source_of
from push.models import NotificationLog, OperatorAlert, PushDelivery, PushToken
from push.querysets import outcome_case
from push.states import Outcome

HOURS = 24
DAYS = 30
RECENT_DEACTIVATION_DAYS = 7


@dataclass
class Timeline:
    """Counts per bucket (hour or day) and outcome; `buckets` are the buckets' starts."""

    buckets: list[datetime]
    counts: dict[str, list[int]]

    @property
    def total(self) -> int:
        return sum(sum(values) for values in self.counts.values())

    def totals(self) -> dict[str, int]:
        return {outcome: sum(values) for outcome, values in self.counts.items()}


@dataclass
class ErrorCount:
    code: str
    source: str  # push.errors.source_of: "transport", "ticket" or "receipt"
    last_24h: int
    last_30d: int


@dataclass
class Overview:
    now: datetime
    hourly: Timeline
    daily: Timeline
    errors: list[ErrorCount]
    pending: int
    retrying: int
    held: int
    scheduled: int
    oldest_pending_at: datetime | None
    receipts_awaiting: int
    oldest_receipt_awaiting_at: datetime | None
    tokens_active: int
    tokens_inactive: int
    deactivated_recently: dict[str, int] = field(default_factory=dict)
    last_alert: OperatorAlert | None = None


def _timeline(rows: QuerySet, trunc: type, starts: list[datetime], now: datetime) -> Timeline:
    tz = timezone.get_current_timezone()
    grouped = (
        rows.filter(created_at__gte=starts[0])
        .annotate(bucket=trunc("created_at", tzinfo=tz), outcome=outcome_case(now))
        .values("bucket", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    index = {_key(start, tz): i for i, start in enumerate(starts)}
    counts = {outcome: [0] * len(starts) for outcome in Outcome.values}
    for row in grouped:
        position = index.get(_key(row["bucket"], tz))
        if position is not None and row["outcome"] in counts:
            counts[row["outcome"]][position] += row["n"]
    return Timeline(starts, counts)


def _key(moment: datetime, tz: object) -> str:
    if timezone.is_naive(moment):  # databases without time zone support
        moment = timezone.make_aware(moment, tz)
    return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H")


def hour_starts(now: datetime) -> list[datetime]:
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=HOURS - 1 - i) for i in range(HOURS)]


def day_starts(now: datetime) -> list[datetime]:
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tz = timezone.get_current_timezone()
    # Calendar days in the current zone (a DST day is 23 or 25 hours long).
    return [
        timezone.make_aware(
            datetime.combine((today - timedelta(days=DAYS - 1 - i)).date(), datetime.min.time()),
            tz,
        )
        for i in range(DAYS)
    ]


def _errors(now: datetime, since: datetime) -> list[ErrorCount]:
    day_ago = now - timedelta(hours=24)
    errors = []
    for receipt, code_field in ((False, "error"), (True, "receipt_error")):
        rows = (
            PushDelivery.objects.exclude(**{code_field: ""})
            .filter(created_at__gte=since)
            .values(code_field)
            .annotate(
                last_24h=Count("id", filter=Q(created_at__gte=day_ago)),
                last_30d=Count("id"),
            )
            .order_by()
        )
        errors.extend(
            ErrorCount(
                row[code_field],
                source_of(row[code_field], receipt=receipt),
                row["last_24h"],
                row["last_30d"],
            )
            for row in rows
        )
    errors.sort(key=lambda e: (-e.last_30d, e.code, e.source))
    return errors


def collect(now: datetime | None = None) -> Overview:
    """Return every figure of the overview page (eight queries)."""
    now = now or clock.now()
    hours, days = hour_starts(now), day_starts(now)
    logs = NotificationLog.objects.all()
    hourly = _timeline(logs, TruncHour, hours, now)
    daily = _timeline(logs, TruncDay, days, now)
    errors = _errors(now, days[0])
    outbox = NotificationLog.objects.outbox_figures(now)
    receipts = PushDelivery.objects.receipt_figures()
    recent = now - timedelta(days=RECENT_DEACTIVATION_DAYS)
    tokens = (
        PushToken.objects.values("is_active", "deactivation_reason")
        .annotate(n=Count("id"), recent=Count("id", filter=Q(deactivated_at__gte=recent)))
        .order_by()
    )
    active = inactive = 0
    deactivated_recently: dict[str, int] = {}
    for row in tokens:
        if row["is_active"]:
            active += row["n"]
            continue
        inactive += row["n"]
        if row["recent"]:
            reason = row["deactivation_reason"] or "unknown"
            deactivated_recently[reason] = deactivated_recently.get(reason, 0) + row["recent"]
    return Overview(
        now=now,
        hourly=hourly,
        daily=daily,
        errors=errors,
        pending=outbox["pending"],
        retrying=outbox["retrying"],
        held=outbox["held"],
        scheduled=outbox["scheduled"],
        oldest_pending_at=outbox["oldest"],
        receipts_awaiting=receipts["awaiting"],
        oldest_receipt_awaiting_at=receipts["oldest"],
        tokens_active=active,
        tokens_inactive=inactive,
        deactivated_recently=dict(sorted(deactivated_recently.items(), key=lambda kv: -kv[1])),
        last_alert=OperatorAlert.objects.order_by("-created_at").first(),
    )
