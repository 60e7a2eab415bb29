"""The admin's records an operator can trust: notifications, deliveries, preferences, alerts.

Read-only rows, an outcome mark and error code per notification, the list filters, masked
tokens, and the deliver-again action.
"""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

import push
from push.models import NotificationLog, OperatorAlert, PushDelivery, PushToken
from tests.support.admin import admin_url
from tests.support.api import OTHER_TOKEN, VALID_TOKEN

pytestmark = pytest.mark.django_db


def _log(user, **fields):
    return NotificationLog.objects.create(**{"user": user, "title": "T", "body": "B", **fields})


def test_notifications_cannot_be_added_edited_or_deleted(admin_client, user):
    log = _log(user, status="sent", successful=True)
    assert admin_client.get(admin_url("notificationlog_add")).status_code == 403
    page = admin_client.get(admin_url("notificationlog_change", log.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    admin_client.post(
        admin_url("notificationlog_change", log.pk),
        {"title": "Changed", "body": "x", "status": "failed", "user": user.pk, "type": "order"},
    )
    log.refresh_from_db()
    assert (log.title, log.status) == ("T", "sent")
    assert admin_client.get(admin_url("notificationlog_delete", log.pk)).status_code == 403
    changelist = admin_client.get(admin_url("notificationlog_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert "deliver_again" in changelist


def test_deliveries_cannot_be_added_edited_or_deleted(admin_client, user):
    log = _log(user, status="sent")
    delivery = PushDelivery.objects.create(notification=log, token=VALID_TOKEN, status="accepted")
    assert admin_client.get(admin_url("pushdelivery_add")).status_code == 403
    assert admin_client.get(admin_url("pushdelivery_delete", delivery.pk)).status_code == 403
    page = admin_client.get(admin_url("pushdelivery_change", delivery.pk)).content.decode()
    assert VALID_TOKEN not in page


def test_list_marks_each_outcome_distinctly_and_shows_the_error(admin_client, user):
    later = timezone.now() + timedelta(hours=1)
    _log(user, status="sent", successful=True)
    _log(user, status="failed", error_message="InvalidCredentials (1 device): bad key")
    _log(user, status="skipped", error_message="TypeDisabled: the user switched off order")
    _log(user, status="pending", next_attempt_at=later, error_message="QuietHours: held until")
    _log(user, status="pending")
    page = admin_client.get(admin_url("notificationlog_changelist")).content.decode()
    for outcome in ("sent", "failed", "skipped", "held", "pending"):
        assert f"push-mark-{outcome}" in page, outcome
    assert "<code>InvalidCredentials</code>" in page
    assert "<code>TypeDisabled</code>" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("outcome=held", {"held"}),
        ("outcome=retrying", {"retrying"}),
        ("outcome=scheduled", {"scheduled"}),
        ("outcome=pending", {"due"}),
        ("outcome=skipped", {"skipped", "no-device"}),
        ("error_code=DeviceNotRegistered", {"dead", "two-codes"}),
        ("error_code=MessageTooBig", {"two-codes"}),
        ("error_code=NoActiveDevices", {"no-device"}),
        ("error_code=TypeDisabled", {"skipped"}),
        ("type=payment", {"dead"}),
    ],
)
def test_filters(admin_client, user, query, expected):
    later = timezone.now() + timedelta(hours=1)
    _log(user, title="held", status="pending", next_attempt_at=later, error_message="QuietHours: x")
    _log(user, title="retrying", status="pending", next_attempt_at=later, attempts=1)
    _log(user, title="scheduled", status="pending", next_attempt_at=later)
    _log(user, title="due", status="pending")
    _log(user, title="skipped", status="skipped", error_message="TypeDisabled: off")
    _log(user, title="no-device", status="skipped", error_message="User has no active device.")
    _log(
        user,
        title="dead",
        type="payment",
        status="failed",
        error_message="DeviceNotRegistered (1 device): gone",
    )
    _log(
        user,
        title="two-codes",
        status="failed",
        error_message="MessageTooBig (2 devices): big; DeviceNotRegistered (1 device): gone",
    )
    response = admin_client.get(admin_url("notificationlog_changelist") + f"?{query}")
    assert response.status_code == 200
    shown = {row.title for row in response.context["cl"].result_list}
    assert shown == expected


def test_delivery_list_filters_masks_and_links(admin_client, user, other_user):
    token = PushToken.objects.create(user=user, token=VALID_TOKEN, device_type="ios")
    other = PushToken.objects.create(user=other_user, token=OTHER_TOKEN, device_type="android")
    log = _log(user, status="failed")
    other_log = _log(other_user, status="sent")
    dead = PushDelivery.objects.create(
        notification=log,
        push_token=token,
        token=VALID_TOKEN,
        status="failed",
        error="DeviceNotRegistered",
    )
    receipt = PushDelivery.objects.create(
        notification=other_log,
        push_token=other,
        token=OTHER_TOKEN,
        status="accepted",
        ticket_id="t-1",
        receipt_status="error",
        receipt_error="MessageTooBig",
    )

    def shown(query):
        response = admin_client.get(admin_url("pushdelivery_changelist") + f"?{query}")
        assert response.status_code == 200
        return {row.pk for row in response.context["cl"].result_list}

    assert shown("") == {dead.pk, receipt.pk}
    assert shown("ticket_error=DeviceNotRegistered") == {dead.pk}
    assert shown("receipt_error=MessageTooBig") == {receipt.pk}
    assert shown("receipt_error=*") == {receipt.pk}
    assert shown("push_token__device_type__exact=ios") == {dead.pk}
    assert shown("q=bob") == {receipt.pk}
    since = quote((timezone.now() - timedelta(days=1)).isoformat())
    assert shown(f"created_at__gte={since}") == {dead.pk, receipt.pk}
    page = admin_client.get(admin_url("pushdelivery_changelist")).content.decode()
    assert VALID_TOKEN not in page and OTHER_TOKEN not in page
    assert VALID_TOKEN[:20] + "…" in page
    assert admin_url("notificationlog_change", log.pk) in page
    assert admin_url("pushtoken_change", token.pk) in page


def test_operator_errors_are_recorded_as_alerts(user, expo, committed):
    PushToken.objects.create(user=user, token=VALID_TOKEN)
    expo.token_errors[VALID_TOKEN] = "InvalidCredentials"
    with committed():
        push.send(user, "Hi", "There")
    alert = OperatorAlert.objects.get()
    assert (alert.code, alert.count, alert.source) == ("InvalidCredentials", 1, "tickets")


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


def test_deliver_again_sends_only_to_the_devices_that_did_not_accept(
    admin_client, user, expo, committed
):
    import push

    PushToken.objects.create(user=user, token=VALID_TOKEN)
    PushToken.objects.create(user=user, token=OTHER_TOKEN)
    expo.token_errors[OTHER_TOKEN] = "MessageRateExceeded"  # retryable: it stays pending
    with committed():
        log = push.send(user, "Hi", "One of two")
    assert log.status == "pending"
    assert (expo.delivered_count(VALID_TOKEN), expo.delivered_count(OTHER_TOKEN)) == (1, 0)
    del expo.token_errors[OTHER_TOKEN]
    with committed():
        admin_client.post(
            admin_url("notificationlog_changelist"),
            {"action": "deliver_again", "_selected_action": [log.pk]},
        )
    log.refresh_from_db()
    assert (log.status, log.sent_to_tokens) == ("sent", 2)
    # The phone that had it does not get it twice.
    assert (expo.delivered_count(VALID_TOKEN), expo.delivered_count(OTHER_TOKEN)) == (1, 1)


def test_deliver_again_leaves_a_notification_that_can_never_be_sent(
    admin_client, user, expo, committed
):
    import push

    PushToken.objects.create(user=user, token=VALID_TOKEN)
    with committed():
        log = push.send(user, "Hi", "There", data={"blob": "x" * 5000})
    assert log.error_message.startswith("PayloadTooLarge")
    with committed():
        page = admin_client.post(
            admin_url("notificationlog_changelist"),
            {"action": "deliver_again", "_selected_action": [log.pk]},
            follow=True,
        )
    assert "0 notification(s) queued. 1 left alone" in page.content.decode()
    log.refresh_from_db()
    assert log.status == "failed"
    assert push.redeliver([log.pk]) == 0
    assert expo.stats.send_requests == 0


def test_a_notifications_page_says_what_its_list_row_says(admin_client, user, expo, committed):
    import push

    PushToken.objects.create(user=user, token=VALID_TOKEN)
    PushToken.objects.create(user=user, token=OTHER_TOKEN)
    expo.fail_next("reset", 4)  # every try of the one request: it never reaches Expo
    with committed():
        log = push.send(user, "Hi", "There")
    assert log.status == "pending" and log.attempts == 1
    listing = admin_client.get(admin_url("notificationlog_changelist")).content.decode()
    page = admin_client.get(admin_url("notificationlog_change", log.pk)).content.decode()
    for html in (listing, page):
        assert "push-mark-retrying" in html and "push-mark-held" not in html
        assert "0 of 2 accepted" in html  # tried on two devices, accepted by none
        # The code once, then what it says: never "CONNECTION_ERROR CONNECTION_ERROR".
        assert "<code>CONNECTION_ERROR</code> (2 devices)" in html
    # The page dates it, says when it is tried again, and has one word for its state.
    labels = re.findall(r"<label[^>]*>([^<]*):</label>", page)
    assert {"Status", "Due", "Created at", "Updated at"} <= set(labels)
    assert "Held" not in labels


def test_the_token_list_filters_by_creation_date(admin_client, user):
    PushToken.objects.create(user=user, token=VALID_TOKEN)
    listing = admin_client.get(admin_url("pushtoken_changelist")).content.decode()
    assert "By created at" in listing
    response = admin_client.get(
        admin_url("pushtoken_changelist") + "?created_at__gte=2000-01-01+00:00:00%2B00:00"
    )
    assert response.context["cl"].result_count == 1
