"""A device pushed too fast (MessageRateExceeded receipts) is paused: skipped, then back."""

from datetime import timedelta

import pytest
from django.utils import timezone

import push
from push.delivery.receipts import check_receipts
from push.models import NotificationLog, PushDelivery, PushToken
from tests.support.devices import register_devices
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db(transaction=True)

FAST = "ExponentPushToken[pacing-fast-aaaaaaaa]"
CALM = "ExponentPushToken[pacing-calm-bbbbbbbb]"


@pytest.fixture
def phones(user):
    return {device.token: device for device in register_devices(user, FAST, CALM)}


def receipts_now():
    PushDelivery.objects.update(updated_at=timezone.now() - timedelta(minutes=16))
    return check_receipts()


def test_a_paused_device_is_skipped_the_others_are_not(user, phones, expo, settings):
    push_settings_update(settings, DEVICE_PAUSE_SECONDS=60)
    expo.receipt_errors[FAST] = "MessageRateExceeded"
    push.send(user, "Hi", "One")
    before = timezone.now()
    receipts_now()
    fast = PushToken.objects.get(token=FAST)
    assert fast.rate_exceeded == 1
    assert before + timedelta(seconds=59) < fast.paused_until <= before + timedelta(seconds=61)
    assert PushToken.objects.get(token=CALM).paused_until is None

    log = push.send(user, "Hi", "Two")
    assert [m["to"] for m in expo.delivered if m["body"] == "Two"] == [CALM]
    assert (log.status, log.sent_to_tokens) == ("sent", 2)
    skipped = PushDelivery.objects.get(notification=log, token=FAST)
    assert (skipped.status, skipped.error, skipped.ticket_id) == ("failed", "DevicePaused", "")
    assert "paused until" in skipped.error_message
    # The only device paused: nothing is sent, the notification says why.
    PushToken.objects.filter(token=CALM).update(is_active=False)
    alone = push.send(user, "Hi", "Three")
    assert alone.status == "failed"
    assert alone.error_message.startswith("DevicePaused (1 device)")
    assert not [m for m in expo.delivered if m["body"] == "Three"]


def test_the_pause_doubles_on_repeats_and_a_clean_receipt_resets_it(user, phones, expo, settings):
    push_settings_update(settings, DEVICE_PAUSE_SECONDS=60)
    expo.receipt_errors[FAST] = "MessageRateExceeded"
    pauses = []
    for _ in range(3):
        PushToken.objects.filter(token=FAST).update(paused_until=None)  # the pause is over
        push.send(user, "Hi", "There")
        start = timezone.now()
        receipts_now()
        fast = PushToken.objects.get(token=FAST)
        pauses.append(round((fast.paused_until - start).total_seconds() / 60))
    assert pauses == [1, 2, 4]
    assert fast.rate_exceeded == 3
    del expo.receipt_errors[FAST]
    PushToken.objects.filter(token=FAST).update(paused_until=None)
    push.send(user, "Hi", "Clean")
    receipts_now()
    fast.refresh_from_db()
    assert (fast.rate_exceeded, fast.paused_until) == (0, None)
    assert NotificationLog.objects.filter(status="sent").count() == 4
