"""The standard filters of the outbox, the deliveries and the tokens, each written once.

`NotificationLog.objects.due(now)`, `.waiting(now)`, `.claimable(now)`, `.unread()`,
`PushDelivery.objects.awaiting_receipt()`, `PushToken.objects.active()`, ... as Django's own
session manager and django-push-notifications' `DeviceQuerySet` do. The `Q` builders are
public too, for aggregates that count several of them in one query.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, CharField, Count, F, Min, Q, QuerySet, Value, When

from push.errors import NO_DEVICES, NO_DEVICES_MESSAGE
from push.states import HOLDING_CODES, DeliveryStatus, DeviceType, NotificationStatus, Outcome

PENDING = Q(status=NotificationStatus.PENDING)


def due_q(now: datetime) -> Q:
    """Pending notifications whose delivery is due (never tried, or their time has come)."""
    return PENDING & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def waiting_q(now: datetime) -> Q:
    """Pending notifications due later: a retry's backoff, quiet hours, the cap, `--at`."""
    return PENDING & Q(next_attempt_at__gt=now)


def unleased_q(now: datetime) -> Q:
    """Rows no worker holds: never claimed, given back, or their claimer's lease ran out."""
    return Q(locked_until__isnull=True) | Q(locked_until__lt=now)


def held_q() -> Q:
    """Rows whose last word is that the user's quiet hours or hourly cap hold them."""
    held = Q()
    for code in HOLDING_CODES:
        held |= Q(error_message__startswith=f"{code}:")
    return held


def outcome_q(outcome: str, now: datetime) -> Q:
    """Rows whose `push.states.outcome_of` is `outcome`."""
    waiting = waiting_q(now)
    if outcome == Outcome.PENDING:
        return due_q(now)
    if outcome == Outcome.HELD:
        return waiting & held_q()
    if outcome == Outcome.RETRYING:
        return waiting & ~held_q() & Q(attempts__gt=0)
    if outcome == Outcome.SCHEDULED:
        return waiting & ~held_q() & Q(attempts=0)
    return Q(status=outcome)


def outcome_case(now: datetime) -> Case:
    """SQL for `push.states.outcome_of`: one of the Outcome words."""
    pending = (Outcome.PENDING, Outcome.HELD, Outcome.RETRYING, Outcome.SCHEDULED)
    return Case(
        *(When(outcome_q(word, now), then=Value(word.value)) for word in pending),
        default=F("status"),
        output_field=CharField(),
    )


def error_code_q(code: str) -> Q:
    """Notifications whose error message names `code` (first, or after another code)."""
    if code == NO_DEVICES:
        return Q(error_message=NO_DEVICES_MESSAGE) | Q(error_message__startswith=f"{code} ")
    return (
        Q(error_message__startswith=f"{code} ")
        | Q(error_message__startswith=f"{code}:")
        | Q(error_message=code)
        | Q(error_message__contains=f"; {code} ")
    )


class NotificationQuerySet(QuerySet):
    """Filters of NotificationLog: the outbox (pending rows) and the inbox."""

    def pending(self) -> "NotificationQuerySet":
        return self.filter(PENDING)

    def due(self, now: datetime) -> "NotificationQuerySet":
        return self.filter(due_q(now))

    def waiting(self, now: datetime) -> "NotificationQuerySet":
        return self.filter(waiting_q(now))

    def unleased(self, now: datetime) -> "NotificationQuerySet":
        return self.filter(unleased_q(now))

    def claimable(self, now: datetime) -> "NotificationQuerySet":
        """Pending rows a claim may take now: due and held by nobody."""
        return self.filter(due_q(now), unleased_q(now))

    def inbox(self) -> "NotificationQuerySet":
        """What the in-app inbox shows (not refused content, not silent badge updates)."""
        return self.filter(in_inbox=True)

    def listed(self, now: datetime) -> "NotificationQuerySet":
        """The inbox as its reader sees it at `now`: a row dated later (push_send --at) is
        listed from its time on."""
        return self.inbox().filter(created_at__lte=now)

    def unread(self, now: datetime) -> "NotificationQuerySet":
        return self.listed(now).filter(read_at__isnull=True)

    def with_outcome(self, outcome: str, now: datetime) -> "NotificationQuerySet":
        """Rows whose `outcome_of` is `outcome`."""
        return self.filter(outcome_q(outcome, now))

    def with_error_code(self, code: str) -> "NotificationQuerySet":
        return self.filter(error_code_q(code))

    def next_due(self, now: datetime) -> datetime | None:
        """Return when the outbox next has work: now, a later time, or None (one query).

        Due now when a row is claimable; else the earliest of the waiting rows' due times
        and the leases that run out (a dead worker's rows come back then).
        """
        figures = self.filter(PENDING).aggregate(
            claimable=Count("id", filter=due_q(now) & unleased_q(now)),
            waiting=Min("next_attempt_at", filter=waiting_q(now) & unleased_q(now)),
            lease_ends=Min("locked_until", filter=~unleased_q(now)),
        )
        if figures["claimable"]:
            return now
        times = [figures["waiting"], figures["lease_ends"]]
        return min((time for time in times if time is not None), default=None)

    def outbox_figures(self, now: datetime) -> dict[str, Any]:
        """Return the pending rows by outcome (`pending`: due now, `held`, `retrying`,
        `scheduled`), all `waiting` ones, the `leased` and the `oldest` one's creation (one
        query)."""
        return self.filter(PENDING).aggregate(
            **{
                word.value: Count("id", filter=outcome_q(word, now))
                for word in (Outcome.PENDING, Outcome.HELD, Outcome.RETRYING, Outcome.SCHEDULED)
            },
            waiting=Count("id", filter=waiting_q(now)),
            leased=Count("id", filter=~unleased_q(now)),
            oldest=Min("created_at"),
        )


class PushDeliveryQuerySet(QuerySet):
    """Filters of PushDelivery: one notification to one device."""

    def accepted(self) -> "PushDeliveryQuerySet":
        return self.filter(status=DeliveryStatus.ACCEPTED)

    def awaiting_receipt(self) -> "PushDeliveryQuerySet":
        """Accepted tickets whose receipt was not recorded yet."""
        return self.filter(status=DeliveryStatus.ACCEPTED, receipt_status="").exclude(ticket_id="")

    def due_for_receipt(
        self, now: datetime, min_age: timedelta, asked_again_after: timedelta | None = None
    ) -> "PushDeliveryQuerySet":
        """Tickets old enough to ask Expo for their receipt.

        With `asked_again_after`, a ticket Expo had no receipt for yet is asked again only
        that long after; without, at every call.
        """
        rows = self.awaiting_receipt().filter(updated_at__lte=now - min_age)
        if asked_again_after is None:
            return rows
        return rows.filter(
            Q(receipt_checked_at__isnull=True) | Q(receipt_checked_at__lte=now - asked_again_after)
        )

    def next_receipt_due(self, min_age: timedelta, asked_again_after: timedelta) -> datetime | None:
        """Return when a ticket next comes due for its receipt, or None (one query)."""
        figures = self.awaiting_receipt().aggregate(
            new=Min("updated_at", filter=Q(receipt_checked_at__isnull=True)),
            asked=Min("receipt_checked_at"),
        )
        times = []
        if figures["new"] is not None:
            times.append(figures["new"] + min_age)
        if figures["asked"] is not None:
            times.append(figures["asked"] + asked_again_after)
        return min(times, default=None)

    def receipt_figures(self) -> dict[str, Any]:
        """Return how many tickets await a receipt, and since when (one query)."""
        return self.awaiting_receipt().aggregate(awaiting=Count("id"), oldest=Min("updated_at"))


class PushTokenQuerySet(QuerySet):
    """Filters of PushToken: devices."""

    def active(self) -> "PushTokenQuerySet":
        return self.filter(is_active=True)

    def ios(self) -> "PushTokenQuerySet":
        return self.filter(device_type=DeviceType.IOS)
