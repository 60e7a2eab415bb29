"""What a user wants to receive: per-type switches and quiet hours, read and changed.

The API's parsing and the shell's functions. Delivery applies them (push.delivery.screening);
a change of quiet hours releases at once what the old window held.

    from push.preferences import QuietHours, preferences_of, update_preferences
"""

import re
from datetime import time
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from push import clock, errors, handoff
from push.models import NotificationLog, NotificationPreference
from push.quiet_hours import QuietHours, quiet_hours_end, timezone_names
from push.types import get_type, is_registered, type_names

__all__ = [
    "InvalidPreferences",
    "QuietHours",
    "parse_changes",
    "preferences_of",
    "quiet_hours_end",
    "update_preferences",
]

_WALL_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_MAX_TIMEZONE_LENGTH = NotificationPreference._meta.get_field("timezone").max_length


class InvalidPreferences(ValueError):
    """A preference change that cannot be applied; the message is safe to show the client."""


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
        "preferences": {kind: kind not in disabled for kind in type_names()},
        "quiet_hours": quiet,
    }


def parse_changes(body: dict[str, Any]) -> tuple[dict[str, bool], Any]:
    """Return the type switches and the quiet hours a request body asks for.

    The quiet hours are a QuietHours, None (clear them) or a sentinel meaning "unchanged";
    pass them on to `update_preferences` as they are. Raises InvalidPreferences.
    """
    switches = body.get("preferences", {})
    if not isinstance(switches, dict):
        raise InvalidPreferences("preferences must be an object of type: true/false")
    for kind, enabled in switches.items():
        if not is_registered(kind):
            raise InvalidPreferences(f"Unknown notification type: use {', '.join(type_names())}")
        if not isinstance(enabled, bool):
            raise InvalidPreferences("Each preference must be true or false")
        if not get_type(kind).can_disable and not enabled:
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
        or zone not in timezone_names()
    ):
        raise InvalidPreferences("quiet_hours timezone must be an IANA name like Europe/Berlin")
    return QuietHours(time.fromisoformat(start), time.fromisoformat(end), zone)


def update_preferences(
    user: AbstractBaseUser, switches: dict[str, bool], quiet: Any = _UNSET
) -> dict[str, Any]:
    """Apply the changes `parse_changes` returned for `user`; return the new preferences.

    New quiet hours (or none) release at once what the old ones held: the user's held rows
    become due now and are handed to delivery after the commit, where the new window, if
    it still covers now, holds them again until its own end.
    """
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        disabled = set(preference.disabled_types)
        for kind, enabled in switches.items():
            (disabled.discard if enabled else disabled.add)(kind)
        preference.disabled_types = sorted(disabled)
        if quiet is not _UNSET:
            preference.quiet_start = quiet.start if quiet else None
            preference.quiet_end = quiet.end if quiet else None
            preference.timezone = quiet.timezone if quiet else ""
        preference.save()
        if quiet is not _UNSET:
            _release_quiet_hours(user)
    return _as_dict(preference)


def _release_quiet_hours(user: AbstractBaseUser) -> None:
    """Make the user's notifications held by quiet hours due now (two queries)."""
    now = clock.now()
    held = (
        NotificationLog.objects.waiting(now)
        .unleased(now)
        .filter(user=user, held=True)
        .with_error_code(errors.QUIET_HOURS)
    )
    ids = list(held.values_list("pk", flat=True))
    if ids:
        NotificationLog.objects.filter(pk__in=ids).update(next_attempt_at=now, released_at=now)
        handoff.deliver_after_commit(ids=ids)
