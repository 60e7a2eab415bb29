"""What each user wants to receive, applied to a chunk of notifications before sending.

Three rules, in this order, decide what happens to a claimed notification:

1. A type the user switched off is never sent: it is recorded as skipped, with why.
2. During the user's quiet hours non-urgent notifications are held until the window ends.
3. At most MAX_NOTIFICATIONS_PER_HOUR non-urgent notifications reach a user in any hour;
   the extra ones are held until the oldest of that hour is an hour old, then sent as the
   window frees up (a chat burst arrives as a trickle instead of a flood).

Order and payment notifications are urgent: they skip rules 2 and 3. System notifications
cannot be switched off. A user without a NotificationPreference row has the defaults:
every type on, no quiet hours.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Min

from push.conf import push_settings
from push.models import (
    NotificationLog,
    NotificationPreference,
    NotificationStatus,
    NotificationType,
)

__all__ = [
    "ALWAYS_ON_TYPES",
    "URGENT_TYPES",
    "InvalidPreferences",
    "QuietHours",
    "Screening",
    "parse_changes",
    "preferences_of",
    "quiet_hours_end",
    "screen",
    "update_preferences",
]

# Never held by quiet hours or the hourly cap.
URGENT_TYPES = frozenset({NotificationType.ORDER.value, NotificationType.PAYMENT.value})
# Cannot be switched off.
ALWAYS_ON_TYPES = frozenset({NotificationType.SYSTEM.value})

TYPE_DISABLED = "TypeDisabled"
QUIET_HOURS = "QuietHours: held until the user's quiet hours end."
HOURLY_CAP = "HourlyCap: held, the user had their hourly share of notifications."
HOUR = timedelta(hours=1)
# Notifications older than this are never counted against the hourly cap, whenever they
# were sent: it bounds the scan of a user's history to a range of the (user, created) index.
_CAP_LOOKBACK = timedelta(days=2)

_WALL_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_MAX_TIMEZONE_LENGTH = NotificationPreference._meta.get_field("timezone").max_length


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


@dataclass(frozen=True)
class QuietHours:
    """A daily window of wall-clock times in a time zone; `start > end` crosses midnight."""

    start: time
    end: time
    timezone: str

    def as_dict(self) -> dict[str, str]:
        """Return the API's shape: `{"start": "22:00", "end": "07:00", "timezone": ...}`."""
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "timezone": self.timezone,
        }


class InvalidPreferences(ValueError):
    """A preference change that cannot be applied; the message is safe to show the client."""


# -- time windows -------------------------------------------------------------------------


def quiet_hours_end(now: datetime, start: time, end: time, zone: tzinfo) -> datetime | None:
    """Return when the quiet window around `now` ends (in UTC), or None if `now` is outside it.

    `start` and `end` are wall-clock times in `zone`; the window is `[start, end)`, and
    crosses midnight when `start > end`. An end time that a DST change skips keeps the
    window's length (02:30 on the night clocks go forward ends at 03:30); one that happens
    twice ends at its first occurrence still ahead of `now`.
    """
    if start == end:
        return None
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    end_date: date
    if start < end:
        if not start <= wall < end:
            return None
        end_date = local.date()
    elif wall >= start:
        end_date = local.date() + timedelta(days=1)
    elif wall < end:
        end_date = local.date()
    else:
        return None
    now_utc = now.astimezone(UTC)
    for fold in (0, 1):
        candidate = datetime.combine(end_date, end, tzinfo=zone).replace(fold=fold)
        candidate_utc = candidate.astimezone(UTC)
        if candidate_utc > now_utc:
            return candidate_utc
    return None


@lru_cache(maxsize=1)
def _timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(name: str) -> tzinfo:
    """Return the zone named `name`; a name the system no longer knows falls back to UTC."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


# -- screening ----------------------------------------------------------------------------


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
    for notification in sorted(notifications, key=lambda n: n.pk):
        preference = preferences.get(notification.user_id)
        kind = notification.type
        if preference is not None and kind not in ALWAYS_ON_TYPES:
            if kind in preference.disabled_types:
                screening.skipped[notification.pk] = (
                    f"{TYPE_DISABLED}: the user switched off {kind} notifications."
                )
                continue
        if kind in URGENT_TYPES:
            continue
        if preference is not None and preference.quiet_start is not None:
            if notification.user_id not in quiet_until:
                quiet_until[notification.user_id] = quiet_hours_end(
                    now, preference.quiet_start, preference.quiet_end, _zone(preference.timezone)
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


def _apply_hourly_cap(
    by_user: dict[int, list[NotificationLog]], cap: int, now: datetime, screening: Screening
) -> None:
    """Hold each user's notifications beyond what the cap leaves room for this hour."""
    recent = (
        NotificationLog.objects.filter(
            user_id__in=list(by_user),
            created_at__gte=now - _CAP_LOOKBACK,
            status=NotificationStatus.SENT,
            updated_at__gt=now - HOUR,
        )
        .exclude(type__in=list(URGENT_TYPES))
        .values("user_id")
        .annotate(count=Count("id"), oldest=Min("updated_at"))
        .order_by()
    )
    sent = {row["user_id"]: (row["count"], row["oldest"]) for row in recent}
    for user_id, notifications in by_user.items():
        count, oldest = sent.get(user_id, (0, None))
        room = max(0, cap - count)
        if len(notifications) <= room:
            continue
        # What goes out now frees its slot an hour from now, the oldest one earlier.
        until = (oldest or now) + HOUR
        for notification in notifications[room:]:
            screening.hold(notification.pk, until, HOURLY_CAP)


# -- the API's view of preferences --------------------------------------------------------

_UNSET: Any = object()


def preferences_of(user: AbstractBaseUser) -> dict[str, Any]:
    """Return `{"preferences": {type: enabled, ...}, "quiet_hours": {...} or None}`."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return _as_dict(preference)


def _as_dict(preference: NotificationPreference | None) -> dict[str, Any]:
    disabled = set(preference.disabled_types) if preference else set()
    quiet = None
    if preference is not None and preference.quiet_start is not None:
        quiet = QuietHours(
            preference.quiet_start, preference.quiet_end, preference.timezone
        ).as_dict()
    return {
        "preferences": {kind: kind not in disabled for kind in NotificationType.values},
        "quiet_hours": quiet,
    }


def parse_changes(body: dict[str, Any]) -> tuple[dict[str, bool], Any]:
    """Return the type switches and the quiet hours a request body asks for.

    The quiet hours are a QuietHours, None (clear them) or a sentinel meaning "unchanged";
    pass them on to `update_preferences` as they are. Raises InvalidPreferences.
    """
    if set(body) - {"preferences", "quiet_hours"}:
        raise InvalidPreferences("Unknown field in request body: use preferences, quiet_hours")
    switches = body.get("preferences", {})
    if not isinstance(switches, dict):
        raise InvalidPreferences("preferences must be an object of type: true/false")
    for kind, enabled in switches.items():
        if kind not in NotificationType.values:
            raise InvalidPreferences(
                f"Unknown notification type: use {', '.join(NotificationType.values)}"
            )
        if not isinstance(enabled, bool):
            raise InvalidPreferences("Each preference must be true or false")
        if kind in ALWAYS_ON_TYPES and not enabled:
            raise InvalidPreferences(f"{kind} notifications cannot be switched off")
    quiet = _parse_quiet_hours(body["quiet_hours"]) if "quiet_hours" in body else _UNSET
    return switches, quiet


def _parse_quiet_hours(value: Any) -> QuietHours | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"start", "end", "timezone"}:
        raise InvalidPreferences(
            'quiet_hours must be null or {"start": "HH:MM", "end": "HH:MM", "timezone": ...}'
        )
    start, end, zone = value["start"], value["end"], value["timezone"]
    for wall in (start, end):
        if not isinstance(wall, str) or not _WALL_TIME.fullmatch(wall):
            raise InvalidPreferences("quiet_hours start and end must be times as HH:MM (24h)")
    if start == end:
        raise InvalidPreferences("quiet_hours start and end must differ")
    if (
        not isinstance(zone, str)
        or len(zone) > _MAX_TIMEZONE_LENGTH
        or zone not in _timezone_names()
    ):
        raise InvalidPreferences("quiet_hours timezone must be an IANA name like Europe/Berlin")
    return QuietHours(time.fromisoformat(start), time.fromisoformat(end), zone)


def update_preferences(
    user: AbstractBaseUser, switches: dict[str, bool], quiet: Any = _UNSET
) -> dict[str, Any]:
    """Apply the changes `parse_changes` returned for `user`; return the new preferences."""
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        disabled = set(preference.disabled_types)
        for kind, enabled in switches.items():
            (disabled.discard if enabled else disabled.add)(kind)
        preference.disabled_types = [kind for kind in NotificationType.values if kind in disabled]
        if quiet is not _UNSET:
            preference.quiet_start = quiet.start if quiet else None
            preference.quiet_end = quiet.end if quiet else None
            preference.timezone = quiet.timezone if quiet else ""
        preference.save()
    return _as_dict(preference)
