"""What a user wants to receive: per-type switches, quiet hours and language, read and changed.

The API's parsing and the shell's functions. Delivery applies them (push.delivery.screening);
a change of quiet hours releases at once what the old window held.

    from push.preferences import QuietHours, preferences_of, update_preferences
"""

import re
from datetime import time
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from push import clock, errors, handoff, languages
from push.models import NotificationLog, NotificationPreference
from push.quiet_hours import WALL_TIME_PATTERN, QuietHours, quiet_hours_end, timezone_names
from push.types import get_type, is_registered, type_names

__all__ = [
    "InvalidPreferences",
    "QuietHours",
    "adopt_phone_language",
    "parse_changes",
    "preferences_of",
    "quiet_hours_end",
    "update_preferences",
]

_WALL_TIME = re.compile(WALL_TIME_PATTERN)
_MAX_TIMEZONE_LENGTH = NotificationPreference._meta.get_field("timezone").max_length


class InvalidPreferences(ValueError):
    """A preference change that cannot be applied; the message is safe to show the client."""


_UNSET: Any = object()


def preferences_of(user: AbstractBaseUser) -> dict[str, Any]:
    """Return `{"preferences": {type: enabled, ...}, "quiet_hours": {...} or None,
    "language": code}`."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return _as_dict(user, preference)


def _language_of(user: AbstractBaseUser, preference: NotificationPreference | None) -> str:
    """The language the user's notifications are written in."""
    if languages.user_language_function() is not None:
        return languages.language_of(user)
    return languages.resolve(preference.language if preference else None) or languages.default()


def _as_dict(user: AbstractBaseUser, preference: NotificationPreference | None) -> dict[str, Any]:
    disabled = set(preference.disabled_types) if preference else set()
    quiet = None
    if preference is not None and preference.quiet_start is not None:
        quiet = QuietHours(
            preference.quiet_start, preference.quiet_end, preference.timezone
        ).as_dict()
    return {
        "preferences": {kind: kind not in disabled for kind in type_names()},
        "quiet_hours": quiet,
        "language": _language_of(user, preference),
    }


def parse_changes(body: dict[str, Any]) -> dict[str, Any]:
    """Return the changes a request body asks for, as `update_preferences`'s arguments.

    `switches` (type: enabled); `quiet`, a QuietHours, None (clear them) or left out
    (unchanged); `language`, a code of settings.LANGUAGES, or left out. Raises
    InvalidPreferences.
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
    changes: dict[str, Any] = {"switches": switches}
    if "quiet_hours" in body:
        changes["quiet"] = _parse_quiet_hours(body["quiet_hours"])
    if "language" in body:
        changes["language"] = _parse_language(body["language"])
    return changes


def _parse_language(value: Any) -> str:
    if languages.user_language_function() is not None:
        raise InvalidPreferences(
            "language is kept by this backend elsewhere (USER_LANGUAGE): it cannot be changed here"
        )
    codes = languages.site_codes()
    if not isinstance(value, str) or value.lower() not in codes:
        raise InvalidPreferences(f"language must be one of: {', '.join(codes)}")
    return value.lower()


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
    user: AbstractBaseUser,
    switches: dict[str, bool],
    quiet: Any = _UNSET,
    *,
    language: str | None = None,
) -> dict[str, Any]:
    """Apply the changes `parse_changes` returned for `user`; return the new preferences.

    `language` (a code of settings.LANGUAGES) is what the user's notifications are written
    in from now on; written ones keep theirs.

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
        if language is not None:
            preference.language = language
        preference.save()
        if quiet is not _UNSET:
            _release_quiet_hours(user)
    return _as_dict(user, preference)


def adopt_phone_language(user: AbstractBaseUser, accept_language: str | None) -> str | None:
    """Give a user who has no language yet their phone's (an `Accept-Language` header).

    Returns the language adopted, or None: the header names none the site offers, the
    user chose one already, or the project keeps languages itself (USER_LANGUAGE).
    """
    if languages.user_language_function() is not None or not languages.enabled():
        return None
    language = languages.from_accept_language(accept_language)
    if language is None:
        return None
    preference, created = NotificationPreference.objects.get_or_create(
        user=user, defaults={"language": language}
    )
    if created:
        return language
    if preference.language:
        return None  # the user chose one: never overwritten
    # Only while the user still has none (a PATCH may choose one meanwhile).
    adopted = NotificationPreference.objects.filter(pk=preference.pk, language="").update(
        language=language
    )
    return language if adopted else None


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
