"""The document's paths: every operation, its parameters, body, answers and links."""

from functools import partial
from typing import Any

from push import inbox, languages
from push.api.inbox import UNREAD_VALUES


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


def paths(kinds: list[str], security: list[dict[str, list]]) -> dict[str, Any]:
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
                        "site's languages. A header longer than "
                        f"{languages.MAX_ACCEPT_LANGUAGE_LENGTH} characters, or one that names "
                        "none of them, is ignored: the device is registered all the same.",
                        "schema": {"type": "string"},
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
                        "schema": {"type": "string", "maxLength": inbox.MAX_CURSOR_LENGTH},
                    },
                    {
                        "name": "unread",
                        "in": "query",
                        "description": "1: only the unread ones.",
                        "schema": {"enum": list(UNREAD_VALUES)},
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
