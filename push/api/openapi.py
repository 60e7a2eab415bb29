"""The HTTP API's contract: an OpenAPI 3.1 document built from the code that checks requests.

Limits, enums and patterns come from the constants the views validate with (the token
format, the device types, the registered notification types, page sizes, the ids a read
takes), so the document cannot say one thing while the code does another; the tests check
every answer they see against it, and a fuzzer (schemathesis, `.ci/run`) checks the rest.
`document(server)` returns it for a server URL; `GET <push's prefix>/openapi/` serves it.

The rules every operation shares, stated once in `info.description` below: every answer is
JSON; every path ends with a slash (without it: a 404 naming the right URL, for any
method); a method an endpoint does not take is a 405 with `Allow`; body fields an endpoint
does not know are a 400 naming them. The security schemes are those the configured
authenticators declare (`push.auth.openapi_security`).
"""

from copy import deepcopy
from functools import partial
from typing import Any

from push import inbox, languages
from push.auth.base import security_schemes_of
from push.auth.pipeline import authenticators
from push.conf import push_settings
from push.quiet_hours import timezone_names
from push.states import DeviceType
from push.tokens import MAX_TOKEN_LENGTH
from push.types import get_type, type_names

VERSION = "1.0.0"
# A token as push.tokens accepts it: the JSON Schema form of its regular expression.
TOKEN_PATTERN = r"^(ExponentPushToken|ExpoPushToken)\[[!-Z\\^-~]+\]$"
WALL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_READ_IDS = 500
MAX_ID = inbox.MAX_ID

RULES = """\
The API of the mobile app: device tokens, notification preferences and the in-app inbox.

Rules every endpoint keeps:

- Every answer is a JSON object with `success`; a failure also has a `message` written
  for the app's developers. Nothing of an exception is ever echoed.
- Every path ends with a slash. Without it, any method gets a 404 whose message names the
  right URL (never a redirect).
- A method an endpoint does not take is a 405 with an `Allow` header.
- Unknown body fields are a 400 naming them: a typo such as `deviceType` would otherwise
  pass unnoticed and register an iPhone as an Android phone. Unknown query parameters
  are ignored (a cache-buster is harmless).
- Bodies are JSON objects (`Content-Type: application/json`), at most `MAX_REQUEST_BYTES`
  bytes (413 above, 415 for another content type).
- Authentication comes first, then the request limits: anonymous callers are counted per
  IP (`anonymous` scope), users per endpoint scope; over a limit, a 429 with `Retry-After`
  in seconds. Users of a cookie session must send Django's CSRF token (`X-CSRFToken`).
"""


def _error(description: str, **headers: dict) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _ok(schema: str, description: str, example: dict | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def _body(schema: str, example: dict) -> dict[str, Any]:
    return {
        "required": False,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{schema}"},
                "example": example,
            }
        },
    }


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
    "413": {"$ref": "#/components/responses/TooLarge"},
    "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
    "500": {"$ref": "#/components/responses/ServerError"},
}


def _operation(
    security: list[dict[str, list]],
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    *,
    description: str = "",
    body: dict | None = None,
    parameters: list | None = None,
    links: dict | None = None,
) -> dict[str, Any]:
    answers = {**responses, **ERRORS}
    if links:
        first = next(iter(responses))
        answers[first] = {**answers[first], "links": links}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": answers,
    }
    if security:  # none declared: say nothing rather than "no credentials needed"
        operation["security"] = security
    if description:
        operation["description"] = description
    if body is not None:
        operation["requestBody"] = body
    if parameters:
        operation["parameters"] = parameters
    return operation


def _schemas(kinds: list[str]) -> dict[str, Any]:
    true_or_false = {"type": "boolean"}
    language = {"enum": languages.site_codes()}
    expo_token = {
        "type": "string",
        "pattern": TOKEN_PATTERN,
        "maxLength": MAX_TOKEN_LENGTH,
        "description": "The device's Expo push token, as `getExpoPushTokenAsync()` gives it.",
    }
    quiet_hours = {
        "type": "object",
        "description": "A daily window of wall-clock times in `timezone` (an IANA name); "
        "`start` after `end` crosses midnight. Non-urgent notifications wait until it ends.",
        "properties": {
            "start": {"type": "string", "pattern": WALL_TIME_PATTERN, "examples": ["22:00"]},
            "end": {"type": "string", "pattern": WALL_TIME_PATTERN, "examples": ["07:00"]},
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
                            "maxItems": MAX_READ_IDS,
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


def _paths(kinds: list[str], security: list[dict[str, list]]) -> dict[str, Any]:
    operation = partial(_operation, security)
    token_example = {"token": "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]", "device_type": "ios"}
    preferences = _ok("Preferences", "The caller's preferences.")
    changed = _ok("Preferences", "The caller's preferences, changed.")
    return {
        "/push-tokens/": {
            "post": operation(
                "registerToken",
                "Register this device's Expo push token",
                "Devices",
                {
                    "200": _ok(
                        "TokenSaved",
                        "Saved.",
                        {"success": True, "message": "Token saved successfully", "created": True},
                    )
                },
                description="A token is a device: registering a token another account holds "
                "moves it to the caller; registering it again reactivates it. A user who has "
                "no language yet gets the phone's, from `Accept-Language`.",
                parameters=[
                    {
                        "name": "Accept-Language",
                        "in": "header",
                        "required": False,
                        "description": "The phone's locale (`de-DE,de;q=0.9`), matched to the "
                        "site's languages.",
                        "schema": {"type": "string", "maxLength": 500},
                    }
                ],
                body={**_body("RegisterToken", token_example), "required": True},
                links={
                    "RemoveThisToken": {
                        "operationId": "removeToken",
                        "requestBody": {"token": "$request.body#/token"},
                    }
                },
            )
        },
        "/push-tokens/remove/": {
            "post": operation(
                "removeToken",
                "Stop sending to a token of the caller's",
                "Devices",
                {"200": _ok("TokenRemoved", "Removed, or nothing to remove (`deleted`: 0).")},
                description="The token is deactivated (reason `removed_by_app`), not deleted: "
                "registering it again brings it back. Another user's token is left alone.",
                body={**_body("RemoveToken", {"token": token_example["token"]}), "required": True},
            )
        },
        "/push-tokens/test/": {
            "post": operation(
                "sendTestNotification",
                "Send a test notification to the caller's devices",
                "Devices",
                {
                    "200": _ok(
                        "TestSent",
                        "What became of it (delivered before the answer); `success` false "
                        "and no `details` when the caller has no device.",
                    ),
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
                description="For staff users, or anyone while the backend runs in DEBUG "
                "(403 otherwise); 404 while the project switched the endpoint off.",
                body={
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {},
                                "additionalProperties": False,
                            }
                        }
                    },
                },
            )
        },
        "/push-preferences/": {
            "get": operation(
                "getPreferences",
                "The caller's notification preferences",
                "Preferences",
                {"200": preferences},
            ),
            "patch": operation(
                "changePreferences",
                "Switch notification types on or off, set or clear quiet hours",
                "Preferences",
                {"200": changed},
                body=_body(
                    "ChangePreferences",
                    {
                        "preferences": {kinds[-1]: False} if kinds else {},
                        "quiet_hours": {
                            "start": "22:00",
                            "end": "07:00",
                            "timezone": "Europe/Berlin",
                        },
                    },
                ),
                links={"ReadThePreferences": {"operationId": "getPreferences"}},
            ),
            "post": operation(
                "changePreferencesByPost",
                "The same as PATCH, for clients that cannot send PATCH",
                "Preferences",
                {"200": changed},
                body=_body(
                    "ChangePreferences", {"preferences": {kinds[-1]: True} if kinds else {}}
                ),
            ),
        },
        "/notifications/": {
            "get": operation(
                "listNotifications",
                "A page of the caller's inbox, newest first",
                "Inbox",
                {"200": _ok("InboxPage", "One page, and the unread count of the whole inbox.")},
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": inbox.MAX_PAGE_SIZE,
                            "default": inbox.DEFAULT_PAGE_SIZE,
                        },
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "description": "A `next_cursor` of this endpoint: opaque.",
                        "schema": {"type": "string", "maxLength": 64},
                    },
                    {
                        "name": "unread",
                        "in": "query",
                        "description": "1: only the unread ones.",
                        "schema": {"enum": ["1", "0", "true", "false"]},
                    },
                    {
                        "name": "type",
                        "in": "query",
                        "description": "Only notifications of this type.",
                        "schema": {"enum": kinds},
                    },
                ],
                links={
                    "MarkTheFirstRead": {
                        "operationId": "markNotificationsRead",
                        "requestBody": {"ids": ["$response.body#/notifications/0/id"]},
                    },
                    "TheNextPage": {
                        "operationId": "listNotifications",
                        "parameters": {"cursor": "$response.body#/next_cursor"},
                    },
                },
            )
        },
        "/notifications/read/": {
            "post": operation(
                "markNotificationsRead",
                "Mark the caller's notifications read",
                "Inbox",
                {"200": _ok("Marked", "How many were unread and are read now.")},
                body={**_body("MarkRead", {"ids": [12, 13]}), "required": True},
                links={"CountTheUnread": {"operationId": "countUnread"}},
            )
        },
        "/notifications/unread-count/": {
            "get": operation(
                "countUnread",
                "How many of the caller's notifications are unread",
                "Inbox",
                {"200": _ok("UnreadCount", "The number on the app's icon.")},
            )
        },
    }


def _responses() -> dict[str, Any]:
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


def security_schemes() -> dict[str, dict[str, Any]]:
    """The OpenAPI schemes of the configured authenticators (`@openapi_security`), in order.

    An authenticator that declares none is left out of the document, not guessed at.
    """
    schemes: dict[str, dict[str, Any]] = {}
    for authenticator in authenticators():
        for name, scheme in security_schemes_of(authenticator).items():
            schemes.setdefault(name, scheme)
    return schemes


def document(server: str = "/") -> dict[str, Any]:
    """Return the OpenAPI document of push's API mounted at `server` (its URL prefix)."""
    kinds = type_names()
    schemes = security_schemes()
    schemas = _schemas(kinds)
    for schema in schemas.values():
        # An answer with a field the document does not name breaks it: the tests see that.
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Push notifications API",
                "version": VERSION,
                "description": RULES,
            },
            "servers": [{"url": server.rstrip("/") or "/"}],
            "tags": [
                {"name": "Devices", "description": "Expo push tokens of the caller's devices."},
                {"name": "Preferences", "description": "What the caller wants to receive."},
                {"name": "Inbox", "description": "What the caller was told, and what is unread."},
            ],
            "paths": _paths(kinds, [{name: []} for name in schemes]),
            "components": {
                "schemas": schemas,
                "responses": _responses(),
                "securitySchemes": schemes,
            },
        }
    )
