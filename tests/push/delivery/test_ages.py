"""Fresh or not at all: each type's maximum age, Expired, and the ttl of what is left."""

from datetime import UTC, datetime, time, timedelta

import pytest

import push
from push.conf import max_age_of
from push.delivery.engine import deliver_due
from push.exceptions import PushConfigurationError
from push.models import NotificationLog
from push.preferences import QuietHours, update_preferences
from tests.support.devices import register_devices
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

TOKEN = "ExponentPushToken[ages-phone-aaaaaaaaaa]"
NIGHT = QuietHours(time(22, 0), time(7, 0), "Europe/Berlin")
LATE_EVENING = datetime(2024, 6, 10, 21, 30, tzinfo=UTC)  # 23:30 in Berlin
NIGHT_ENDS = datetime(2024, 6, 11, 5, 0, tzinfo=UTC)


@pytest.fixture
def phone(user):
    [phone] = register_devices(user, TOKEN)
    return phone


def test_defaults_and_overrides(settings):
    assert max_age_of("message") == timedelta(hours=1)
    for kind in ("order", "payment", "review", "product", "system"):
        assert max_age_of(kind) == timedelta(days=1)
    push_settings_update(settings, MAX_AGE_SECONDS={"message": 600, "system": None})
    assert max_age_of("message") == timedelta(minutes=10)
    assert max_age_of("system") is None
    assert max_age_of("order") == timedelta(days=1)  # the other defaults stay
    push_settings_update(settings, MAX_AGE_SECONDS={"message": -5})
    with pytest.raises(PushConfigurationError):
        max_age_of("message")


def test_ttl_is_the_age_left(user, phone, expo, committed):
    with committed():
        push.send(user, "New message from Bob", "Tap to view message", type="message")
        push.send(user, "Order Update", "Shipped", type="order")
        push.send(user, "Order Update", "Delivered", type="order", ttl=60)
        push.send(user, "Order Update", "Cancelled", type="order", ttl=10**7)
    ttls = {m["body"]: m["ttl"] for m in expo.delivered}
    # A second may have passed between writing and sending.
    assert 3599 <= ttls["Tap to view message"] <= 3600
    assert 86399 <= ttls["Shipped"] <= 86400
    assert ttls["Delivered"] == 60  # its own, shorter ttl wins
    assert 86399 <= ttls["Cancelled"] <= 86400  # a longer one is cut to the age left


def test_a_retry_carries_what_is_left(user, phone, expo, committed, clock):
    expo.token_errors[TOKEN] = "MessageRateExceeded"
    with committed():
        log = push.send(user, "Order Update", "Shipped", type="order")
    assert log.status == "pending"
    del expo.token_errors[TOKEN]
    clock.set(log.next_attempt_at + timedelta(minutes=10))
    assert deliver_due().successful == 1
    elapsed = (clock.now - log.created_at).total_seconds()
    assert expo.delivered[-1]["ttl"] == 86400 - elapsed


def test_a_chat_held_overnight_arrives_at_seven_fresh_from_its_release(
    user, phone, expo, committed, clock
):
    # The user asked for "later", not "never": the hour a chat is worth counts from seven.
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    with committed():
        chat = push.send(user, "New message from Bob", "Tap to view message", type="message")
        review = push.send(user, "New review", "5 stars", type="review")
    assert (chat.status, review.status) == ("pending", "pending")
    chat.refresh_from_db()
    assert chat.released_at == NIGHT_ENDS
    clock.set(NIGHT_ENDS + timedelta(seconds=30))
    report = deliver_due()
    assert (report.total, report.skipped, report.successful) == (2, 0, 2)
    by_body = {m["body"]: m for m in expo.delivered}
    assert set(by_body) == {"Tap to view message", "5 stars"}
    assert by_body["Tap to view message"]["ttl"] == 3600 - 30
    assert by_body["5 stars"]["ttl"] == 86400 - 30


def test_a_released_chat_still_expires_an_hour_after_its_release(
    user, phone, expo, committed, clock
):
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    with committed():
        chat = push.send(user, "New message from Bob", "Tap to view message", type="message")
    clock.set(NIGHT_ENDS + timedelta(hours=1))  # nothing delivered what was due at seven
    assert deliver_due().skipped == 1
    chat.refresh_from_db()
    assert chat.status == "skipped"
    assert chat.error_message == (
        "Expired: not pushed within 1 hour, the maximum age of message notifications."
    )
    assert expo.delivered == []


def test_a_notification_left_over_past_its_age_is_never_sent(user, phone, expo, clock, settings):
    push_settings_update(settings, MAX_AGE_SECONDS={"system": 300})
    with push.receivers_disabled():
        NotificationLog.objects.create(user=user, title="Hi", body="There", type="system")
    clock.advance(minutes=5)
    report = deliver_due()
    assert report.skipped == 1
    assert NotificationLog.objects.get().error_message.startswith("Expired: not pushed within 5")
    assert expo.stats.send_requests == 0


def test_retries_stop_at_the_types_maximum_age(user, phone, expo, settings, clock):
    push_settings_update(settings, RETRY_ATTEMPTS=1, MAX_AGE_SECONDS={"system": 40})
    expo.fail_next("http_500", 5)
    log = push.send(user, "Hi", "There")
    assert log.status == "pending"
    clock.advance(seconds=30)  # the next try would be 30 s after that: past the age
    deliver_due()
    log.refresh_from_db()
    assert log.status == "failed"
