"""Turning a notification into the fields of an Expo message."""

import json
from typing import Any

from push.conf import push_settings

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
}


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
    return {key: value for key, value in fields.items() if value is not None}


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
