"""The device-token and preference API the mobile app calls (paths and JSON keys fixed)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

import push
from push.api import throttling
from push.api.conventions import BadRequest, error_response, json_api
from push.api.devices import register_device, remove_device
from push.conf import push_settings
from push.models import DeviceType, NotificationStatus, PushToken
from push.preferences.changes import (
    InvalidPreferences,
    parse_changes,
    preferences_of,
    update_preferences,
)
from push.tokens import MAX_TOKEN_LENGTH, is_expo_push_token

TEST_TITLE = "Test Notification"
TEST_BODY = "This is a test notification from UniTrade!"
TEST_DATA = {"type": "test"}
TEST_MESSAGES = {
    NotificationStatus.SENT: "Notification sent successfully",
    NotificationStatus.PENDING: "Notification queued for delivery",
    NotificationStatus.FAILED: "Failed to send push notification",
    NotificationStatus.SKIPPED: "Notification not sent",
}


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


@json_api(methods=["POST"])
def save_push_token(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Register the caller's device, taking it over if another account held it."""
    token = _token_from(body)
    device_type = _device_type_from(body)
    _, created = register_device(request.user, token, device_type)
    return JsonResponse(
        {"success": True, "message": "Token saved successfully", "created": created}
    )


@json_api(methods=["POST"])
def remove_push_token(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Delete the caller's own token; anyone else's is left alone (deleted: 0)."""
    deleted = remove_device(request.user, _token_from(body))
    return JsonResponse(
        {"success": True, "message": "Token removed successfully", "deleted": deleted}
    )


@json_api(methods=["POST"], rate_limit=throttling.TEST)
def send_test_notification(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Send a test notification to the caller's devices (DEBUG, or staff in production)."""
    if not push_settings.TEST_ENDPOINT_ENABLED:
        return error_response("Not found.", 404)
    if not (settings.DEBUG or request.user.is_staff):
        return error_response("Test notifications are only available to staff.", 403)
    devices = PushToken.objects.filter(user=request.user, is_active=True).count()
    if not devices:
        return JsonResponse({"success": False, "message": "No push tokens registered for user"})
    notification = push.send(request.user, TEST_TITLE, TEST_BODY, data=TEST_DATA)
    return JsonResponse(
        {
            "success": notification.status != NotificationStatus.FAILED,
            "message": TEST_MESSAGES[notification.status],
            # Until delivery runs (after commit, or in a worker) the devices it will target.
            "sent_to": notification.sent_to_tokens or devices,
            "details": {
                "notification_id": notification.pk,
                "status": notification.status,
                "error": notification.error_message,
            },
        }
    )


@json_api(methods=["GET", "POST", "PATCH"], rate_limit=throttling.PREFERENCES)
def push_preferences(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Answer the caller's preferences; POST and PATCH change the types and fields named."""
    if request.method == "GET":
        current = preferences_of(request.user)
    else:
        try:
            switches, quiet_hours = parse_changes(body)
        except InvalidPreferences as exc:
            raise BadRequest(str(exc)) from None
        current = update_preferences(request.user, switches, quiet_hours)
    return JsonResponse({"success": True, **current})
