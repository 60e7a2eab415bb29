"""The token admin: masked tokens, deactivating and activating by hand, the test notification.

And the when and why it shows for each token: retired by hand or by Expo, active again
when the app registers it again.
"""

import pytest
from django.utils import timezone

import push
from push.api.devices import register_device
from push.models import NotificationLog, PushToken
from tests.support.admin import admin_url
from tests.support.api import VALID_TOKEN

pytestmark = pytest.mark.django_db


def test_token_list_masks_tokens(admin_client, user):
    PushToken.objects.create(user=user, token=VALID_TOKEN)
    response = admin_client.get("/admin/push/pushtoken/")
    assert response.status_code == 200
    page = response.content.decode()
    assert VALID_TOKEN not in page
    assert VALID_TOKEN[:20] + "…" in page


def test_deactivate_action(admin_client, user):
    token = PushToken.objects.create(user=user, token=VALID_TOKEN)
    response = admin_client.post(
        "/admin/push/pushtoken/",
        {"action": "deactivate_tokens", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.is_active is False


def test_deactivating_by_hand_records_when_and_why(admin_client, user):
    token = PushToken.objects.create(user=user, token=VALID_TOKEN)
    admin_client.post(
        admin_url("pushtoken_changelist"),
        {"action": "deactivate_tokens", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.is_active is False
    assert token.deactivation_reason == "by_hand"
    assert token.deactivated_at is not None
    admin_client.post(
        admin_url("pushtoken_changelist"),
        {"action": "activate_tokens", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert (token.is_active, token.deactivation_reason, token.deactivated_at) == (True, "", None)


def test_test_notification_action_sends_to_the_tokens_users(admin_client, user, expo, committed):
    token = PushToken.objects.create(user=user, token=VALID_TOKEN)
    with committed():
        response = admin_client.post(
            admin_url("pushtoken_changelist"),
            {"action": "send_test_notification", "_selected_action": [token.pk]},
            follow=True,
        )
    assert expo.delivered_count(VALID_TOKEN) == 1
    # Inside the test's transaction the row is written, then delivered at the commit.
    assert "Test notification to 1 user(s)" in response.content.decode()
    assert NotificationLog.objects.get(user=user).title == "Test notification"


def test_registering_again_reactivates_and_stamps(user):
    token = PushToken.objects.create(
        user=user,
        token=VALID_TOKEN,
        is_active=False,
        deactivated_at=timezone.now(),
        deactivation_reason="DeviceNotRegistered",
    )
    before = timezone.now()
    register_device(user, VALID_TOKEN, "ios")
    token.refresh_from_db()
    assert (token.is_active, token.deactivation_reason, token.deactivated_at) == (True, "", None)
    assert token.last_registered_at >= before


def test_expo_retiring_a_token_records_its_code(user, expo, committed):
    PushToken.objects.create(user=user, token=VALID_TOKEN)
    expo.token_errors[VALID_TOKEN] = "DeviceNotRegistered"
    with committed():
        push.send(user, "Hi", "There")
    token = PushToken.objects.get(token=VALID_TOKEN)
    assert (token.is_active, token.deactivation_reason) == (False, "DeviceNotRegistered")
    assert token.deactivated_at is not None
