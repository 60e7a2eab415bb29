"""What each user wants to receive, applied to a chunk of notifications before sending.

Five rules, in this order, decide what happens to a claimed notification:

0. A notification the user already read in the in-app inbox is not pushed: skipped,
   ReadInApp (a held notification read before its release, say).
   A notification older than its type's maximum age (MAX_AGE_SECONDS) is not pushed any
   more: skipped, Expired. The age counts from its creation or, for one that was held,
   from its release (push.freshness): what the user asked for later is not dropped.
1. A type the user switched off is never sent: it is recorded as skipped, with why.
2. During the user's quiet hours non-urgent notifications are held until the window ends.
3. At most MAX_NOTIFICATIONS_PER_HOUR non-urgent pushes reach a user in any hour; the
   extra notifications are held until the oldest push of that hour is an hour old, then
   released together: one digest per type (push.digests), not a trickle.

Urgent types (push.register_type(..., urgent=True), e.g. a shop's orders and payments) skip
rules 2 and 3; a type registered with can_disable=False (system) cannot be switched off.
Silent badge updates (push.badges) are not news: rule 0 alone applies to them, and the
hourly cap counts only news (inbox) pushes. A user without a NotificationPreference row has
the defaults: every type on, no quiet hours.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Q

from push import errors
from push.badges import is_badge_update
from push.conf import max_age_of, push_settings
from push.freshness import fresh_from
from push.models import NotificationLog, NotificationPreference, NotificationStatus
from push.quiet_hours import quiet_hours_end, zone_named
from push.types import type_of_row, types

QUIET_HOURS = f"{errors.QUIET_HOURS}: held until the user's quiet hours end."
HOURLY_CAP = f"{errors.HOURLY_CAP}: held, the user had their hourly share of notifications."
HOUR = timedelta(hours=1)
# Notifications older than this are never counted against the hourly cap, whenever they
# were sent: it bounds the scan of a user's history to a range of the (user, created) index.
_CAP_LOOKBACK = timedelta(days=2)


@dataclass
class Screening:
    """A chunk's notifications that must not go out now."""

    skipped: dict[int, str] = field(default_factory=dict)  # pk -> why it is never sent
    held: dict[int, datetime] = field(default_factory=dict)  # pk -> not before
    held_because: dict[int, str] = field(default_factory=dict)  # pk -> why it waits

    def hold(self, pk: int, until: datetime, reason: str) -> None:
        """Hold notification `pk` until `until`, for `reason`."""
        self.held[pk] = until
        self.held_because[pk] = reason


def screen(notifications: list[NotificationLog], now: datetime) -> Screening:
    """Return which notifications to skip or hold; two queries, whatever the chunk's size.

    One query reads the chunk's users' preferences, one aggregate query counts what each
    of them received in the last hour (only when the hourly cap may apply).
    """
    screening = Screening()
    if not notifications:
        return screening
    user_ids = {notification.user_id for notification in notifications}
    preferences = {
        preference.user_id: preference
        for preference in NotificationPreference.objects.filter(user_id__in=user_ids)
    }
    quiet_until: dict[int, datetime | None] = {}
    capped: dict[int, list[NotificationLog]] = defaultdict(list)
    ages = {kind: max_age_of(kind) for kind in {n.type for n in notifications}}
    for notification in sorted(notifications, key=lambda n: n.pk):
        preference = preferences.get(notification.user_id)
        kind = notification.type
        if notification.read_at is not None:
            screening.skipped[notification.pk] = (
                f"{errors.READ_IN_APP}: the user read it in the app before it was pushed."
            )
            continue
        age = ages[kind]
        if age is not None and fresh_from(notification) + age <= now:
            screening.skipped[notification.pk] = (
                f"{errors.EXPIRED}: not pushed within {describe_age(age)}, the maximum age of "
                f"{kind} notifications."
            )
            continue
        if is_badge_update(notification):
            continue  # not news: no type to switch off, never held, not capped
        registered = type_of_row(kind)
        if preference is not None and registered.can_disable:
            if kind in preference.disabled_types:
                screening.skipped[notification.pk] = (
                    f"{errors.TYPE_DISABLED}: the user switched off {kind} notifications."
                )
                continue
        if registered.urgent:
            continue
        if preference is not None and preference.quiet_start is not None:
            if notification.user_id not in quiet_until:
                quiet_until[notification.user_id] = quiet_hours_end(
                    now,
                    preference.quiet_start,
                    preference.quiet_end,
                    zone_named(preference.timezone),
                )
            until = quiet_until[notification.user_id]
            if until is not None:
                screening.hold(notification.pk, until, QUIET_HOURS)
                continue
        capped[notification.user_id].append(notification)
    cap = push_settings.MAX_NOTIFICATIONS_PER_HOUR
    if cap and capped:
        _apply_hourly_cap(capped, cap, now, screening)
    return screening


def describe_age(age: timedelta) -> str:
    """Return `age` in words: "1 hour", "90 minutes", "2 days", "45 seconds"."""
    seconds = int(age.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _apply_hourly_cap(
    by_user: dict[int, list[NotificationLog]], cap: int, now: datetime, screening: Screening
) -> None:
    """Hold each user's pushes beyond what the cap leaves room for this hour.

    The cap counts pushes, not notifications: a digest is one push, whatever it covers.
    Released notifications (they were held) of one type go out together as one digest, so
    past the cap the rest of the hour's notifications wait and arrive one push per type.
    """
    pushes = Q(pushed_with__isnull=True) | Q(pushed_with=F("id"))
    recent = (
        NotificationLog.objects.inbox()  # news only: silent badge updates are not counted
        .filter(
            user_id__in=list(by_user),
            created_at__gte=now - _CAP_LOOKBACK,
            status=NotificationStatus.SENT,
            updated_at__gt=now - HOUR,
        )
        .exclude(type__in=[kind.name for kind in types() if kind.urgent])
        .values("user_id")
        .annotate(count=Count("id", filter=pushes), oldest=Min("updated_at"))
        .order_by()
    )
    sent = {row["user_id"]: (row["count"], row["oldest"]) for row in recent}
    for user_id, notifications in by_user.items():
        count, oldest = sent.get(user_id, (0, None))
        room = max(0, cap - count)
        # One push per fresh notification, one per type for the released ones.
        units: dict[object, list[NotificationLog]] = {}
        for notification in notifications:
            unit = ("digest", notification.type) if notification.held else notification.pk
            units.setdefault(unit, []).append(notification)
        if len(units) <= room:
            continue
        # What goes out now frees its slot an hour from now, the oldest one earlier.
        until = (oldest or now) + HOUR
        for unit in list(units.values())[room:]:
            for notification in unit:
                screening.hold(notification.pk, until, HOURLY_CAP)
