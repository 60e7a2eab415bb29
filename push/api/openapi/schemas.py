"""The document's schemas and shared answers: bodies the API takes and gives, its errors.

Limits, enums and patterns are the constants the views validate with.
"""

from typing import Any

from push import inbox, languages
from push.api.inbox import MAX_IDS
from push.conf import push_settings
from push.quiet_hours import WALL_TIME_PATTERN, timezone_names
from push.states import DeviceType
from push.tokens import MAX_TOKEN_LENGTH, TOKEN_PATTERN
from push.types import get_type


def _error(description: str, **headers: dict) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def schemas(kinds: list[str]) -> dict[str, Any]:
    true_or_false = {"type": "boolean"}
    language = {"enum": languages.site_codes()}
    expo_token = {
        "type": "string",
        "pattern": f"^{TOKEN_PATTERN}$",
        "maxLength": MAX_TOKEN_LENGTH,
        "description": "The device's Expo push token, as `getExpoPushTokenAsync()` gives it.",
    }
    quiet_hours = {
        "type": "object",
        "description": "A daily window of wall-clock times in `timezone` (an IANA name); "
        "`start` after `end` crosses midnight. Non-urgent notifications wait until it ends.",
        "properties": {
            "start": {"type": "string", "pattern": f"^{WALL_TIME_PATTERN}$", "examples": ["22:00"]},
            "end": {"type": "string", "pattern": f"^{WALL_TIME_PATTERN}$", "examples": ["07:00"]},
            "timezone": {"enum": sorted(timezone_names()), "examples": ["Europe/Berlin"]},
        },
        "required": ["start", "end", "timezone"],
        "additionalProperties": False,
    }
    return {
        "Error": {
            "type": "object",
            "properties": {"success": {"const": False}, "message": {"type": "string"}},
            "required": ["success", "message"],
        },
        "TokenSaved": {
            "type": "object",
            "properties": {
                "success": {"const": True},
                "message": {"type": "string"},
                "created": {
                    "type": "boolean",
                    "description": "false: the token was known (registered again, or moved to "
                    "this account from another)",
                },
            },
            "required": ["success", "message", "created"],
        },
        "TokenRemoved": {
            "type": "object",
            "properties": {
                "success": {"const": True},
                "message": {"type": "string"},
                "deleted": {
                    "type": "integer",
                    "enum": [0, 1],
                    "description": "0: not among the caller's devices, or removed already",
                },
            },
            "required": ["success", "message", "deleted"],
        },
        "TestSent": {
            "type": "object",
            "properties": {
                "success": {
                    "type": "boolean",
                    "description": "true only when a device accepted the notification",
                },
                "message": {"type": "string"},
                "sent_to": {"type": "integer", "minimum": 0},
                "details": {
                    "type": "object",
                    "properties": {
                        "notification_id": {"type": "integer"},
                        "status": {"enum": ["pending", "sent", "failed", "skipped"]},
                        "error": {"type": ["string", "null"]},
                    },
                    "required": ["notification_id", "status", "error"],
                },
            },
            "required": ["success", "message"],
        },
        "Preferences": {
            "type": "object",
            "properties": {
                "success": {"const": True},
                "preferences": {
                    "type": "object",
                    "description": "Every notification type: whether the user gets it.",
                    "properties": {kind: true_or_false for kind in kinds},
                    "required": kinds,
                    "additionalProperties": False,
                },
                "quiet_hours": {
                    "oneOf": [{"$ref": "#/components/schemas/QuietHours"}, {"type": "null"}]
                },
                "language": {
                    **language,
                    "description": "What the user's notifications are written in: the one "
                    "they chose, else their phone's when they registered a device, else the "
                    "site's.",
                },
            },
            "required": ["success", "preferences", "quiet_hours", "language"],
        },
        "QuietHours": quiet_hours,
        "Notification": {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "type": {"enum": kinds},
                "title": {"type": "string"},
                "body": {"type": "string"},
                "data": {"type": "object", "description": "The push's data, as the app got it."},
                "created_at": {"type": "string", "format": "date-time"},
                "read": {"type": "boolean"},
            },
            "required": ["id", "type", "title", "body", "data", "created_at", "read"],
        },
        "InboxPage": {
            "type": "object",
            "properties": {
                "success": {"const": True},
                "notifications": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Notification"},
                    "maxItems": inbox.MAX_PAGE_SIZE,
                },
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "The next page's `cursor`; null on the last page.",
                },
                "unread_count": {"type": "integer", "minimum": 0},
            },
            "required": ["success", "notifications", "next_cursor", "unread_count"],
        },
        "Marked": {
            "type": "object",
            "properties": {
                "success": {"const": True},
                "marked": {"type": "integer", "minimum": 0},
                "unread_count": {"type": "integer", "minimum": 0},
            },
            "required": ["success", "marked", "unread_count"],
        },
        "UnreadCount": {
            "type": "object",
            "properties": {
                "success": {"const": True},
                "unread_count": {"type": "integer", "minimum": 0},
            },
            "required": ["success", "unread_count"],
        },
        "RegisterToken": {
            "type": "object",
            "properties": {
                "token": expo_token,
                "device_type": {
                    "enum": list(DeviceType.values),
                    "default": DeviceType.ANDROID,
                    "description": "The device's platform (`Platform.OS` in React Native).",
                },
            },
            "required": ["token"],
            "additionalProperties": False,
        },
        "RemoveToken": {
            "type": "object",
            "properties": {"token": expo_token},
            "required": ["token"],
            "additionalProperties": False,
        },
        "ChangePreferences": {
            "type": "object",
            "properties": {
                "preferences": {
                    "type": "object",
                    "properties": {
                        kind: true_or_false if get_type(kind).can_disable else {"const": True}
                        for kind in kinds
                    },
                    "additionalProperties": False,
                    "description": "The types to switch on (true) or off (false); the others "
                    "keep their setting. A type that cannot be switched off (`system`) only "
                    "takes true.",
                },
                "quiet_hours": {
                    "oneOf": [{"$ref": "#/components/schemas/QuietHours"}, {"type": "null"}],
                    "description": "New quiet hours (start and end must differ), or null for "
                    "none. Left out: unchanged.",
                },
                "language": {
                    **language,
                    "description": "The language to write the user's notifications in from "
                    "now on (those written keep theirs). Left out: unchanged.",
                },
            },
            "additionalProperties": False,
        },
        "MarkRead": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "ids": {
                            "type": "array",
                            "items": {"type": "integer"},
                            "maxItems": MAX_IDS,
                        }
                    },
                    "required": ["ids"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"all": {"const": True}},
                    "required": ["all"],
                    "additionalProperties": False,
                },
            ],
            "description": "The caller's notifications to mark read: `ids` (others' ids and "
            "unknown ones are ignored), or `all`.",
        },
    }


def responses() -> dict[str, Any]:
    retry_after = {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    }
    return {
        "BadRequest": _error("The body or a parameter is wrong; the message names it."),
        "Unauthorized": _error(
            "No credentials, or credentials that are invalid or expired.",
            **{
                "WWW-Authenticate": {
                    "description": "The authentication scheme's challenge.",
                    "schema": {"type": "string"},
                }
            },
        ),
        "Forbidden": _error("A cookie session without a valid CSRF token, or not allowed."),
        "NotFound": _error("Not found, or switched off."),
        "MethodNotAllowed": _error(
            "The endpoint does not take this method.",
            Allow={"description": "The methods it takes.", "schema": {"type": "string"}},
        ),
        "TooLarge": _error(
            f"The body is larger than MAX_REQUEST_BYTES ({push_settings.MAX_REQUEST_BYTES})."
        ),
        "UnsupportedMediaType": _error("The body is not application/json."),
        "TooManyRequests": _error(
            "Over the request limit of the caller's scope.", **{"Retry-After": retry_after}
        ),
        "ServerError": _error("Something went wrong on the server; nothing about it is said."),
    }
