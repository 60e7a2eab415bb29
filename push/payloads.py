"""Turning a notification into the fields of an Expo message, badge included."""

import json
import logging
from datetime import datetime
from typing import Any

from push import clock
from push.badges import is_badge_update
from push.conf import imported, push_settings
from push.freshness import seconds_left
from push.models import NotificationLog
from push.users import user_id_of
from push.validation import check_expo_fields

logger = logging.getLogger(__name__)


# Keyword options of push.send() and the Expo message fields they set.
EXPO_FIELDS = {
    "subtitle": "subtitle",
    "sound": "sound",
    "badge": "badge",
    "channel_id": "channelId",
    "ttl": "ttl",
    "expiration": "expiration",
    "priority": "priority",
    "category_id": "categoryId",
    "mutable_content": "mutableContent",
    "interruption_level": "interruptionLevel",
    "collapse_id": "collapseId",
    "icon": "icon",
    "tag": "tag",
    "rich_content": "richContent",
    "content_available": "_contentAvailable",
}


_KEYWORD_OF_FIELD = {field: keyword for keyword, field in EXPO_FIELDS.items()}


def expo_options(notification_type: str, options: dict[str, Any]) -> dict[str, Any]:
    """Return the Expo fields for a notification: defaults, then its type's, then `options`.

    `options` uses push.send()'s keyword names; an option set to None removes the field
    (`sound=None` sends a silent notification).
    """
    unknown = sorted(set(options) - set(EXPO_FIELDS))
    if unknown:
        raise TypeError(
            f"Unknown notification option(s): {', '.join(unknown)}. "
            f"Known: {', '.join(sorted(EXPO_FIELDS))}."
        )
    fields = dict(push_settings.DEFAULT_MESSAGE_OPTIONS)
    fields.update(push_settings.TYPE_MESSAGE_OPTIONS.get(notification_type, {}))
    for name, value in options.items():
        fields[EXPO_FIELDS[name]] = value
    fields = {key: value for key, value in fields.items() if value is not None}
    check_expo_fields(fields, _KEYWORD_OF_FIELD)
    return fields


def payload_size(title: str, body: str, data: dict[str, Any] | None, subtitle: str = "") -> int:
    """Return the bytes of what Apple and Google count against their 4 KiB limit."""
    visible = {"title": title, "subtitle": subtitle, "body": body, "data": data or {}}
    return len(json.dumps(visible, ensure_ascii=False, separators=(",", ":")).encode())


def build_payload(
    notification_id: int,
    title: str,
    body: str,
    data: dict[str, Any] | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Return the Expo message fields (all but `to`) of one notification.

    `data.notificationId` lets the app drop the rare duplicate Expo's at-least-once
    delivery can produce.
    """
    return {
        "title": title,
        "body": body,
        "data": {**(data or {}), "notificationId": str(notification_id)},
        **options,
    }


def payload_for(
    notification: NotificationLog, badges: dict[int, int], now: datetime | None = None
) -> dict[str, Any]:
    """Return the Expo fields of a notification row, made once and shared by its devices.

    `badges` are the chunk's badge numbers (`badge_counts`); a send's own `badge` wins. A
    silent badge update (push.badges) has no title, body or sound.
    The `ttl` is the time the notification has left within its type's maximum age (or its
    own `ttl`, if shorter), so Apple and Google drop it too once it is stale. The cache
    lives on the row for one delivery (`forget_payload` clears it for the next).
    """
    cached = getattr(notification, "_push_payload", None)
    if cached is None:
        options = at_delivery(notification, notification.options, badges, now or clock.now())
        cached = build_payload(
            notification.pk, notification.title, notification.body, notification.data, options
        )
        if is_badge_update(notification):
            # Silent: no title, body or sound; the badge and _contentAvailable are the push.
            for name in ("title", "body", "sound"):
                cached.pop(name, None)
        notification._push_payload = cached
    return cached


def at_delivery(
    notification: NotificationLog, options: dict[str, Any], badges: dict[int, int], now: datetime
) -> dict[str, Any]:
    """Return `options` with what is known only when it goes out: the badge and the ttl.

    The badge is the user's number from the chunk's `badges`, unless the send set its own;
    the ttl is what the notification has left of its type's maximum age, unless its own
    ttl is shorter. The same for a notification and for a digest (its newest item).
    """
    options = dict(options)
    if "badge" not in options and notification.user_id in badges:
        options["badge"] = badges[notification.user_id]
    left = seconds_left(notification, now)
    if left is not None and ("ttl" not in options or options["ttl"] > left):
        options["ttl"] = left
    return options


def forget_payload(notification: NotificationLog) -> None:
    """Drop the payload cached on a row by an earlier delivery (its ttl and badge age)."""
    notification.__dict__.pop("_push_payload", None)


def badge_counts(user_ids: set[int]) -> dict[int, int]:
    """Return each user's badge number from the BADGE_COUNTS callable (one call a chunk).

    The app's unread count is the host project's to define: BADGE_COUNTS is the dotted
    path of `counts(user_ids) -> {user_id: number}`. Without it no badge is sent (the
    guide's constant 1 was wrong for everyone); if it fails, notifications go out without.
    """
    path = push_settings.BADGE_COUNTS
    if not path or not user_ids:
        return {}
    counts = imported("BADGE_COUNTS", path)
    try:
        return {user_id_of(user): int(count) for user, count in counts(user_ids).items()}
    except Exception:
        logger.exception("BADGE_COUNTS %s failed: sending without badges", path)
        return {}
