"""The admin never shows a whole token in its lists, and can deactivate tokens."""

import pytest

from push.models import NotificationLog, PushToken
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


def test_notification_log_list_and_filters(admin_client, user):
    NotificationLog.objects.create(user=user, type="order", title="New Order!", body="b")
    response = admin_client.get(
        "/admin/push/notificationlog/?type__exact=order&successful__exact=0"
    )
    assert response.status_code == 200
    assert "New Order!" in response.content.decode()


def test_notification_preference_list(admin_client, user):
    from datetime import time

    from push.preferences import QuietHours, update_preferences

    update_preferences(user, {"message": False}, QuietHours(time(22), time(7), "Europe/Berlin"))
    response = admin_client.get("/admin/push/notificationpreference/")
    assert response.status_code == 200
    assert "Europe/Berlin" in response.content.decode()


def test_notification_page_shows_deliveries_with_masked_tokens(admin_client, user, expo, committed):
    import push

    PushToken.objects.create(user=user, token=VALID_TOKEN)
    with committed():
        log = push.send(user, "Hi", "There")
    page = admin_client.get(f"/admin/push/notificationlog/{log.pk}/change/").content.decode()
    assert VALID_TOKEN not in page
    assert VALID_TOKEN[:20] + "…" in page
    assert log.deliveries.get().ticket_id in page


def test_deliver_again_action_retries_failed_notifications(admin_client, user, expo, committed):
    import push

    PushToken.objects.create(user=user, token=VALID_TOKEN)
    expo.token_errors[VALID_TOKEN] = "InvalidCredentials"
    with committed():
        log = push.send(user, "Hi", "There")
    assert log.status == "failed"
    del expo.token_errors[VALID_TOKEN]  # the operator fixed the app's credentials
    with committed():
        admin_client.post(
            "/admin/push/notificationlog/",
            {"action": "deliver_again", "_selected_action": [log.pk]},
        )
    log.refresh_from_db()
    assert (log.status, log.successful) == ("sent", True)
    assert expo.delivered_count(VALID_TOKEN) == 1
