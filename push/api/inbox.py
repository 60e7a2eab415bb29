"""The in-app inbox API: the caller's notifications, marking them read, the unread count.

Same conventions as the token endpoints (push/api/conventions.py: authentication, request limits in
the "inbox" scope, CSRF for session users, JSON errors); a bad query parameter or body
field is a 400 whose message names it, without echoing what was sent.
"""

import re
from datetime import UTC
from typing import Any

from django.http import HttpRequest, JsonResponse

from push import inbox
from push.api import throttling
from push.api.conventions import BadRequest, json_api
from push.models import NotificationLog
from push.types import is_registered, type_names

MAX_IDS = 500
_LIMIT = re.compile(r"[0-9]{1,3}")
UNREAD_VALUES = {"1": True, "true": True, "0": False, "false": False}


def _limit_from(value: str | None) -> int:
    if value is None:
        return inbox.DEFAULT_PAGE_SIZE
    if not _LIMIT.fullmatch(value) or not 0 < int(value) <= inbox.MAX_PAGE_SIZE:
        raise BadRequest(f"limit must be an integer from 1 to {inbox.MAX_PAGE_SIZE}")
    return int(value)


def _unread_from(value: str | None) -> bool:
    if value is None:
        return False
    if value not in UNREAD_VALUES:
        raise BadRequest("unread must be 1 or 0")
    return UNREAD_VALUES[value]


def _type_from(value: str | None) -> str | None:
    if value is not None and not is_registered(value):
        raise BadRequest(f"type must be one of: {', '.join(type_names())}")
    return value


def _item(notification: NotificationLog) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "type": notification.type,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data or {},
        "created_at": notification.created_at.astimezone(UTC),
        "read": notification.read_at is not None,
    }


@json_api(methods=["GET"], rate_limit=throttling.INBOX)
def notifications(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Answer a page of the caller's inbox, newest first, and the unread count (2 queries)."""
    params = request.GET
    limit = _limit_from(params.get("limit"))
    unread_only = _unread_from(params.get("unread"))
    kind = _type_from(params.get("type"))
    cursor = params.get("cursor")
    try:
        page = inbox.list_notifications(
            request.user, limit=limit, cursor=cursor, unread_only=unread_only, type=kind
        )
    except inbox.InvalidCursor:
        raise BadRequest("cursor is not valid: use a next_cursor from this endpoint") from None
    return JsonResponse(
        {
            "success": True,
            "notifications": [_item(notification) for notification in page.items],
            "next_cursor": page.next_cursor,
            "unread_count": inbox.unread_count(request.user),
        }
    )


def _ids_from(value: Any) -> list[int]:
    if not isinstance(value, list):
        raise BadRequest("ids must be a list of notification ids")
    if len(value) > MAX_IDS:
        raise BadRequest(f"ids must hold at most {MAX_IDS} ids")
    if not all(isinstance(pk, int) and not isinstance(pk, bool) for pk in value):
        raise BadRequest("ids must be integers")
    return value


@json_api(methods=["POST"], rate_limit=throttling.INBOX, fields=["ids", "all"])
def mark_notifications_read(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Mark the caller's notifications of `ids`, or `all` of them, read (2 queries)."""
    if ("ids" in body) == ("all" in body):
        raise BadRequest("Give exactly one of ids and all")
    if "all" in body:
        if body["all"] is not True:
            raise BadRequest("all must be true")
        marked = inbox.mark_read(request.user, all=True)
    else:
        marked = inbox.mark_read(request.user, _ids_from(body["ids"]))
    return JsonResponse(
        {"success": True, "marked": marked, "unread_count": inbox.unread_count(request.user)}
    )


@json_api(methods=["GET"], rate_limit=throttling.INBOX)
def unread_count(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Answer the number of unread notifications in the caller's inbox (1 query)."""
    return JsonResponse({"success": True, "unread_count": inbox.unread_count(request.user)})
