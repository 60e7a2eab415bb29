"""The device-token and preference API the mobile app calls (paths and JSON keys fixed)."""

from datetime import UTC
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

import push
from push.api import openapi, throttling
from push.api.conventions import BadRequest, error_response, json_api, method_not_allowed
from push.api.devices import register_device, remove_device
from push.conf import BACKGROUND, CELERY, INLINE, push_settings
from push.handoff import inline_delivery
from push.models import DeviceType, NotificationLog, NotificationStatus, PushToken
from push.preferences import (
    InvalidPreferences,
    adopt_phone_language,
    parse_changes,
    preferences_of,
    update_preferences,
)
from push.tokens import MAX_TOKEN_LENGTH, is_expo_push_token

# Where the OpenAPI document is served, below push's prefix.
OPENAPI_PATH = "openapi/"

TOKEN_REMOVED = "Token removed successfully"
TOKEN_NOT_YOURS = "No such token among your devices: nothing was removed"

TEST_DATA = {"type": "test"}
TEST_SENT = "Notification sent successfully"
TEST_FAILED = "Failed to send push notification: it will not be retried"
TEST_SKIPPED = "Notification not sent"
TEST_QUEUED = "Notification not sent yet: queued for delivery"
TEST_RETRY = "Notification not sent yet; it will be retried {how} from {when} UTC"
# Who retries a pending notification, per delivery mode.
RETRIED_BY = {
    BACKGROUND: "automatically by this server",
    CELERY: "by the Celery beat task",
    INLINE: "when `manage.py push_deliver` runs",
}


def _test_message(notification: NotificationLog) -> str:
    """Say truthfully what became of the test notification and whether it is retried."""
    if notification.status == NotificationStatus.SENT:
        return TEST_SENT
    if notification.status == NotificationStatus.FAILED:
        return TEST_FAILED
    if notification.status == NotificationStatus.SKIPPED:
        return TEST_SKIPPED
    if notification.next_attempt_at is None:
        return TEST_QUEUED
    how = RETRIED_BY.get(push_settings.DELIVERY, RETRIED_BY[INLINE])
    when = notification.next_attempt_at.astimezone(UTC).strftime("%H:%M:%S")
    return TEST_RETRY.format(how=how, when=when)


def _token_from(body: dict[str, Any]) -> str:
    token = body.get("token")
    if token is None or token == "":
        raise BadRequest("Token is required")
    if not isinstance(token, str):
        raise BadRequest("Token must be a string")
    if len(token) > MAX_TOKEN_LENGTH:
        raise BadRequest(f"Token must be at most {MAX_TOKEN_LENGTH} characters")
    if not is_expo_push_token(token):
        raise BadRequest("Invalid token format")
    return token


def _device_type_from(body: dict[str, Any]) -> str:
    device_type = body.get("device_type", DeviceType.ANDROID)
    if device_type not in DeviceType.values:
        raise BadRequest(f"device_type must be one of: {', '.join(DeviceType.values)}")
    return device_type


@json_api(methods=["POST"], fields=["token", "device_type"])
def save_push_token(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Register the caller's device, taking it over if another account held it.

    A user without a language yet gets the phone's (its `Accept-Language`).
    """
    token = _token_from(body)
    device_type = _device_type_from(body)
    _, created = register_device(request.user, token, device_type)
    adopt_phone_language(request.user, request.headers.get("Accept-Language"))
    return JsonResponse(
        {"success": True, "message": "Token saved successfully", "created": created}
    )


@json_api(methods=["POST"], fields=["token"])
def remove_push_token(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Remove (deactivate) the caller's own token; anyone else's is left alone (deleted: 0)."""
    deleted = remove_device(request.user, _token_from(body))
    # The same answer whether nobody or somebody else holds the token: nothing leaks.
    message = TOKEN_REMOVED if deleted else TOKEN_NOT_YOURS
    return JsonResponse({"success": True, "message": message, "deleted": deleted})


@json_api(methods=["POST"], rate_limit=throttling.TEST)
def send_test_notification(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Send a test notification to the caller's devices (DEBUG, or staff in production)."""
    if not push_settings.TEST_ENDPOINT_ENABLED:
        return error_response("Not found.", 404)
    if not (settings.DEBUG or request.user.is_staff):
        return error_response("Test notifications are only available to staff.", 403)
    devices = PushToken.objects.active().filter(user=request.user).count()
    if not devices:
        return JsonResponse({"success": False, "message": "No push tokens registered for user"})
    # It reports to a person: deliver now and answer the outcome, whatever DELIVERY says.
    with inline_delivery():
        text = push_settings.TEST_NOTIFICATION
        notification = push.send(request.user, text["title"], text["body"], data=TEST_DATA)
    return JsonResponse(
        {
            # True only when a device accepted it (Expo answered with an ok ticket).
            "success": notification.status == NotificationStatus.SENT,
            "message": _test_message(notification),
            # Until delivery runs (after commit, or in a worker) the devices it will target.
            "sent_to": notification.sent_to_tokens or devices,
            "details": {
                "notification_id": notification.pk,
                "status": notification.status,
                "error": notification.error_message,
            },
        }
    )


@json_api(
    methods=["GET", "POST", "PATCH"],
    rate_limit=throttling.PREFERENCES,
    fields=["preferences", "quiet_hours", "language"],
)
def push_preferences(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Answer the caller's preferences; POST and PATCH change the types and fields named."""
    if request.method == "GET":
        current = preferences_of(request.user)
    else:
        try:
            changes = parse_changes(body)
        except InvalidPreferences as exc:
            raise BadRequest(str(exc)) from None
        current = update_preferences(request.user, **changes)
    return JsonResponse({"success": True, **current})


@csrf_exempt  # public, read-only: a POST gets the JSON 405, not Django's CSRF page
def openapi_document(request: HttpRequest) -> JsonResponse:
    """Answer the API's OpenAPI document (push.api.openapi), for this URL prefix."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request.method, ("GET", "HEAD"))
    prefix = request.path.removesuffix(OPENAPI_PATH)
    return JsonResponse(openapi.document(server=prefix), json_dumps_params={"indent": 1})
