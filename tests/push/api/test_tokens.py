"""The device-token endpoints: the mobile app's paths, fields and answers."""

import pytest

import push
from push.models import PushToken
from tests.support.api import OTHER_TOKEN, REGISTER, REMOVE, TEST, VALID_TOKEN

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_register_creates_a_token(api, user):
    response = post(api, REGISTER, {"token": VALID_TOKEN, "device_type": "ios"})
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Token saved successfully",
        "created": True,
    }
    token = PushToken.objects.get()
    assert (token.user, token.token, token.device_type, token.is_active) == (
        user,
        VALID_TOKEN,
        "ios",
        True,
    )


def test_device_type_defaults_to_android(api):
    post(api, REGISTER, {"token": OTHER_TOKEN})
    assert PushToken.objects.get().device_type == "android"


def test_reregistering_reactivates_and_is_not_created(api, user):
    post(api, REGISTER, {"token": VALID_TOKEN})
    PushToken.objects.update(is_active=False)
    response = post(api, REGISTER, {"token": VALID_TOKEN, "device_type": "ios"})
    assert response.json()["created"] is False
    token = PushToken.objects.get()
    assert token.is_active is True
    assert token.device_type == "ios"


def test_a_device_switching_accounts_moves_its_token(api, other_api, user, other_user):
    post(api, REGISTER, {"token": VALID_TOKEN})
    response = post(other_api, REGISTER, {"token": VALID_TOKEN})
    assert response.status_code == 200
    assert response.json()["created"] is False
    token = PushToken.objects.get()
    assert token.user == other_user
    assert not user.push_tokens.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Token is required"),
        ({"token": ""}, "Token is required"),
        ({"token": None}, "Token is required"),
        ({"token": 12345}, "Token must be a string"),
        ({"token": ["ExponentPushToken[abc]"]}, "Token must be a string"),
        ({"token": "ExponentPushToken[" + "a" * 300 + "]"}, "Token must be at most 255 characters"),
        ({"token": "not-a-token"}, "Invalid token format"),
        ({"token": "ExponentPushToken[]"}, "Invalid token format"),
        ({"token": "ExponentPushToken[abc] "}, "Invalid token format"),
        ({"token": "ExponentPushToken[a b]"}, "Invalid token format"),
        ({"token": "ExponentPushToken[a\x00b]"}, "Invalid token format"),
        ({"token": "ExponentPushToken[ab\u00e9]"}, "Invalid token format"),
        (
            {"token": VALID_TOKEN, "device_type": "windows"},
            "device_type must be one of: ios, android",
        ),
        ({"token": VALID_TOKEN, "device_type": None}, "device_type must be one of: ios, android"),
        (
            {"token": VALID_TOKEN, "device_type": ["ios"]},
            "device_type must be one of: ios, android",
        ),
    ],
)
def test_register_rejects_bad_fields(api, body, message):
    response = post(api, REGISTER, body)
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": message}
    assert not PushToken.objects.exists()


def test_remove_deactivates_own_token_with_its_reason(api, user):
    post(api, REGISTER, {"token": VALID_TOKEN})
    response = post(api, REMOVE, {"token": VALID_TOKEN})
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Token removed successfully",
        "deleted": 1,
    }
    # Kept for the record, no longer sent to: the admin says the app removed it, and when.
    token = PushToken.objects.get()
    assert (token.is_active, token.deactivation_reason) == (False, "removed_by_app")
    assert token.deactivated_at is not None
    assert not PushToken.objects.filter(user=user, is_active=True).exists()
    # Removing it again removes nothing; registering it again brings it back.
    assert post(api, REMOVE, {"token": VALID_TOKEN}).json()["deleted"] == 0
    post(api, REGISTER, {"token": VALID_TOKEN})
    token.refresh_from_db()
    assert (token.is_active, token.deactivation_reason, token.deactivated_at) == (True, "", None)


def test_a_device_removed_by_the_app_gets_no_notifications(api, user, expo, committed):
    post(api, REGISTER, {"token": VALID_TOKEN})
    post(api, REMOVE, {"token": VALID_TOKEN})
    with committed():
        log = push.send(user, "Hi", "There")
    log.refresh_from_db()
    assert log.status == "skipped"
    assert expo.delivered == []


def test_a_device_that_switches_accounts_records_when(api, other_api, user, other_user):
    post(other_api, REGISTER, {"token": VALID_TOKEN})
    assert PushToken.objects.get().last_switched_at is None
    post(other_api, REGISTER, {"token": VALID_TOKEN})  # the same account again: no switch
    assert PushToken.objects.get().last_switched_at is None
    post(api, REGISTER, {"token": VALID_TOKEN})
    token = PushToken.objects.get()
    assert (token.user, token.is_active) == (user, True)
    assert token.last_switched_at is not None


def test_remove_leaves_someone_elses_token_alone(api, other_api, other_user):
    post(other_api, REGISTER, {"token": VALID_TOKEN})
    response = post(api, REMOVE, {"token": VALID_TOKEN})
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "No such token among your devices: nothing was removed",
        "deleted": 0,
    }
    assert PushToken.objects.get().user == other_user


def test_remove_validates_the_token(api):
    assert post(api, REMOVE, {}).json() == {"success": False, "message": "Token is required"}
    assert post(api, REMOVE, {"token": 5}).status_code == 400


def test_test_endpoint_without_devices(api, settings):
    settings.DEBUG = True
    response = post(api, TEST, {})
    assert response.status_code == 200
    assert response.json() == {"success": False, "message": "No push tokens registered for user"}


def test_test_endpoint_sends_to_the_callers_devices(api, settings, expo, committed):
    settings.DEBUG = True
    post(api, REGISTER, {"token": VALID_TOKEN})
    with committed():
        response = api.generic("POST", TEST)  # the guide's curl sends no body at all
    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["sent_to"]) == (True, 1)
    assert body["details"]["status"] == "sent"
    assert body["message"] == "Notification sent successfully"
    [message] = expo.delivered
    assert message["to"] == VALID_TOKEN
    assert message["title"] == "Test Notification"
    assert message["body"] == "This is a test notification from UniTrade!"
    assert message["data"]["type"] == "test"


@pytest.mark.django_db(transaction=True)
def test_test_endpoint_answers_the_delivery_outcome(user, settings, expo):
    from tests.support.api import bearer_client

    settings.DEBUG = True
    api = bearer_client(user)
    post(api, REGISTER, {"token": VALID_TOKEN})
    body = post(api, TEST, {}).json()
    assert body["success"] is True
    assert body["message"] == "Notification sent successfully"
    expo.token_errors[VALID_TOKEN] = "InvalidCredentials"
    body = post(api, TEST, {}).json()
    assert body["success"] is False
    assert body["message"] == "Failed to send push notification: it will not be retried"
    assert body["details"]["error"].startswith("InvalidCredentials")


def test_test_endpoint_is_staff_only_in_production(api, user, settings):
    settings.DEBUG = False
    post(api, REGISTER, {"token": VALID_TOKEN})
    response = post(api, TEST, {})
    assert response.status_code == 403
    assert response.json()["success"] is False
    user.is_staff = True
    user.save()
    assert post(api, TEST, {}).status_code == 200
