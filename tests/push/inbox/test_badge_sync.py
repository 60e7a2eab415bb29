"""Silent badge updates after reads: their payload, their devices, their coalescing.

What the loopback Expo server receives is what is checked: after a read, each iOS device
gets one message with the unread count as `badge`, `_contentAvailable`, and no title, body
or sound, at the end of the read's BADGE_SYNC_SECONDS slot; Android devices get nothing.
"""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.management import call_command

import push
from push import inbox
from push.badges import KEY_PREFIX, is_badge_update
from push.checks import E010_INVALID_BADGE_SYNC, check_settings
from push.delivery.engine import deliver_due
from push.models import NotificationLog, PushDelivery, PushToken
from push.preferences import QuietHours, update_preferences
from tests.support.api import INBOX_READ
from tests.support.devices import register_devices
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

IPHONE = "ExponentPushToken[badge-sync-iphone1]"
IPAD = "ExponentPushToken[badge-sync-ipad001]"
ANDROID = "ExponentPushToken[badge-sync-andro01]"
# The clock fixture's start, 2024-06-10 12:00:00 UTC, begins a slot of 60 seconds.
SLOT_END = datetime(2024, 6, 10, 12, 1, tzinfo=UTC)


@pytest.fixture
def devices(user):
    register_devices(user, IPHONE, IPAD, device_type="ios")
    register_devices(user, ANDROID, device_type="android")


def unread(user, count, **fields):
    """Write `count` unread inbox items for `user` (already pushed); return them."""
    return NotificationLog.objects.bulk_create(
        [
            NotificationLog(user=user, title=f"n{n}", body="b", status="sent", **fields)
            for n in range(count)
        ]
    )


def updates(user):
    return NotificationLog.objects.filter(user=user, in_inbox=False).order_by("pk")


def slot_of(update):
    return int(update.key.removeprefix(KEY_PREFIX))


def received(expo):
    return {message["to"]: message for message in expo.delivered}


def test_a_read_sends_each_ios_device_one_silent_update_at_the_slots_end(
    user, devices, expo, clock
):
    items = unread(user, 5)
    clock.advance(seconds=20)
    assert inbox.mark_read(user, [items[0].pk, items[1].pk]) == 2
    (update,) = updates(user)
    assert is_badge_update(update)
    assert (update.status, update.type, update.title, update.body) == ("pending", "system", "", "")
    assert update.next_attempt_at == SLOT_END
    clock.advance(seconds=39)
    deliver_due()
    assert expo.delivered == []  # not due before the slot ends
    clock.set(SLOT_END)
    report = deliver_due()
    assert report.successful == 1
    messages = received(expo)
    assert set(messages) == {IPHONE, IPAD}  # Android launchers count for themselves
    for message in messages.values():
        assert message["badge"] == 3
        assert message["_contentAvailable"] is True
        assert message["priority"] == "normal"
        assert "title" not in message and "body" not in message and "sound" not in message
        assert message["data"] == {"notificationId": str(update.pk)}
    update.refresh_from_db()
    assert (update.status, update.sent_to_tokens) == ("sent", 2)
    assert set(update.deliveries.values_list("token", flat=True)) == {IPHONE, IPAD}
    # Not an inbox item, not counted as unread.
    assert update.pk not in {n.pk for n in inbox.list_notifications(user).items}
    assert inbox.unread_count(user) == 3


def test_fifty_reads_in_a_minute_send_at_most_one_update_per_device(user, devices, expo, clock):
    items = unread(user, 60)
    for item in items[:50]:
        clock.advance(seconds=1)  # 12:00:01 to 12:00:50: one slot
        inbox.mark_read(user, [item.pk])
        if clock.now.second % 10 == 0:
            deliver_due()
    assert updates(user).count() == 1
    assert expo.delivered == []
    clock.set(SLOT_END)
    deliver_due()
    assert sorted(m["to"] for m in expo.delivered) == [IPAD, IPHONE]
    assert {m["badge"] for m in expo.delivered} == {10}  # every read of the slot counted
    # The next slot's reads make the next update, a slot later: never two in one slot.
    expo.reset()
    for item in items[50:]:
        clock.advance(seconds=5)
        inbox.mark_read(user, [item.pk])
    first, second = updates(user)
    assert slot_of(second) == slot_of(first) + 1
    assert second.next_attempt_at == SLOT_END + timedelta(seconds=60)
    deliver_due()
    assert expo.delivered == []
    clock.set(SLOT_END + timedelta(seconds=60))
    deliver_due()
    assert {m["to"]: m["badge"] for m in expo.delivered} == {IPHONE: 0, IPAD: 0}


def test_the_slot_length_is_the_setting(user, devices, expo, clock, settings):
    push_settings_update(settings, BADGE_SYNC_SECONDS=300)
    items = unread(user, 3)
    clock.advance(seconds=10)
    inbox.mark_read(user, [items[0].pk])
    clock.advance(seconds=200)
    inbox.mark_read(user, [items[1].pk])
    (update,) = updates(user)
    assert update.next_attempt_at == datetime(2024, 6, 10, 12, 5, tzinfo=UTC)


def test_the_read_endpoint_schedules_the_update(user, api, devices, expo, clock):
    items = unread(user, 4)
    response = api.post(INBOX_READ, {"all": True}, content_type="application/json")
    assert response.json() == {"success": True, "marked": 4, "unread_count": 0}
    clock.set(SLOT_END)
    deliver_due()
    assert {m["to"]: m["badge"] for m in expo.delivered} == {IPHONE: 0, IPAD: 0}
    assert len(items) == 4


def test_news_pushes_still_carry_the_badge_and_are_not_silent(user, devices, expo, committed):
    unread(user, 2)
    with committed():
        push.send(user, "Hi", "There")
    assert {m["to"]: m["badge"] for m in expo.delivered} == {IPHONE: 3, IPAD: 3, ANDROID: 3}
    assert {m["title"] for m in expo.delivered} == {"Hi"}
    assert {m.get("sound") for m in expo.delivered} == {"default"}


def test_nothing_is_scheduled_when_nothing_was_marked_or_no_ios_device_or_sync_off(
    user, other_user, expo, clock, settings
):
    PushToken.objects.create(user=other_user, token=ANDROID, device_type="android")
    theirs = unread(other_user, 2)
    inbox.mark_read(other_user, [theirs[0].pk])  # Android only: no update at all
    assert not updates(other_user).exists()
    PushToken.objects.create(user=user, token=IPHONE, device_type="ios")
    mine = unread(user, 3)
    inbox.mark_read(user, [theirs[1].pk])  # not the user's: nothing marked
    assert not updates(user).exists()
    push_settings_update(settings, BADGE_SYNC_SECONDS=None)
    inbox.mark_read(user, [mine[0].pk])
    push_settings_update(settings, BADGE_SYNC_SECONDS=60, BADGE_COUNTS=None)  # no badge to sync
    inbox.mark_read(user, [mine[1].pk])
    assert not updates(user).exists()
    PushToken.objects.filter(token=IPHONE).update(is_active=False)
    push_settings_update(settings, BADGE_COUNTS="push.inbox.unread_counts")
    inbox.mark_read(user, [mine[2].pk])
    assert not updates(user).exists()


def test_a_read_rolled_back_schedules_nothing(user, devices, expo, clock):
    from django.db import transaction

    items = unread(user, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        inbox.mark_read(user, all=True)
        assert updates(user).count() == 1
        raise RuntimeError
    assert not updates(user).exists()
    assert inbox.unread_count(user) == len(items)


# Through the same outbox as any push, but not news.


def test_quiet_hours_type_switches_and_the_hourly_cap_do_not_hold_it(
    user, devices, expo, clock, committed, settings
):
    push_settings_update(settings, MAX_NOTIFICATIONS_PER_HOUR=1)
    with committed():
        push.send(user, "News", "Uses the hour's only push")
    expo.reset()
    # Quiet hours all day long (ends 11:59 local, clock 12:00 UTC = 14:00 in Berlin).
    update_preferences(user, {}, QuietHours(time(12, 0), time(11, 59), "Europe/Berlin"))
    preference = user.push_preference
    preference.disabled_types = ["order", "message", "payment", "product", "review", "system"]
    preference.save()
    inbox.mark_read(user, all=True)
    clock.set(SLOT_END)
    deliver_due()
    assert {m["to"]: m["badge"] for m in expo.delivered} == {IPHONE: 0, IPAD: 0}
    (update,) = updates(user)
    assert (update.status, update.held, update.error_message) == ("sent", False, None)


def test_it_is_not_counted_by_the_hourly_cap(user, devices, expo, clock, committed, settings):
    push_settings_update(settings, MAX_NOTIFICATIONS_PER_HOUR=2)
    with committed():
        first = push.send(user, "News", "One of two this hour")
    inbox.mark_read(user, [first.pk])
    clock.set(SLOT_END)
    deliver_due()
    assert updates(user).get().status == "sent"
    expo.reset()
    with committed():
        second = push.send(user, "News", "Two of two: the badge update took no share")
    assert second.status == "sent"
    with committed():
        third = push.send(user, "News", "Three: held")
    assert third.status == "pending"
    assert third.error_message.startswith("HourlyCap")


def test_a_failed_update_is_retried_like_any_push(user, devices, expo, clock):
    unread(user, 2)
    inbox.mark_read(user, all=True)
    clock.set(SLOT_END)
    expo.stop()
    try:
        deliver_due()
    finally:
        expo.start()
    (update,) = updates(user)
    assert update.status == "pending"
    assert update.attempts == 1
    assert update.error_message.startswith("CONNECTION_ERROR")
    assert update.next_attempt_at > SLOT_END
    clock.set(update.next_attempt_at)
    deliver_due()
    update.refresh_from_db()
    assert update.status == "sent"
    assert {m["to"]: m["badge"] for m in expo.delivered} == {IPHONE: 0, IPAD: 0}


def test_devices_registered_after_the_read_get_it_android_never(user, expo, clock):
    PushToken.objects.create(user=user, token=IPHONE, device_type="ios")
    unread(user, 1)
    inbox.mark_read(user, all=True)
    PushToken.objects.create(user=user, token=IPAD, device_type="ios")
    PushToken.objects.create(user=user, token=ANDROID, device_type="android")
    clock.set(SLOT_END)
    deliver_due()
    assert sorted(m["to"] for m in expo.delivered) == [IPAD, IPHONE]


# Retention: badge updates are ordinary rows of the delivery history.


def test_old_badge_updates_go_with_old_rows_and_later_reads_still_update(
    user, devices, expo, clock
):
    items = unread(user, 3)
    inbox.mark_read(user, [items[0].pk])
    clock.set(SLOT_END)
    deliver_due()
    assert PushDelivery.objects.filter(notification__in=updates(user)).count() == 2
    # What a retention job does: delete rows older than some age, inbox and history alike.
    clock.advance(days=90)
    NotificationLog.objects.filter(created_at__lt=clock.now - timedelta(days=30)).delete()
    assert not NotificationLog.objects.filter(user=user).exists()
    assert not PushDelivery.objects.exists()
    fresh = unread(user, 2)
    inbox.mark_read(user, [fresh[0].pk])
    (update,) = updates(user)
    assert update.key.startswith(KEY_PREFIX)
    clock.set(update.next_attempt_at)
    expo.reset()
    deliver_due()
    assert {m["to"]: m["badge"] for m in expo.delivered} == {IPHONE: 1, IPAD: 1}


# The setting.


@pytest.mark.parametrize("value", [0, -1, True, "60", float("nan"), float("inf")])
def test_a_bad_badge_sync_setting_is_a_check_error(settings, value):
    push_settings_update(settings, BADGE_SYNC_SECONDS=value)
    assert [error.id for error in check_settings()] == [E010_INVALID_BADGE_SYNC]


@pytest.mark.parametrize("value", [None, 1, 0.5, 3600])
def test_good_badge_sync_settings_pass(settings, value):
    push_settings_update(settings, BADGE_SYNC_SECONDS=value)
    assert check_settings() == []
    call_command("check")


def test_a_chunk_of_updates_costs_the_same_queries_for_2_or_12_users(
    django_user_model, expo, clock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(count, offset):
        users = [
            django_user_model.objects.create(username=f"reader{offset + n}") for n in range(count)
        ]
        for n, reader in enumerate(users):
            PushToken.objects.create(
                user=reader,
                token=f"ExponentPushToken[chunk-ios-{offset + n:06d}]",
                device_type="ios",
            )
            PushToken.objects.create(
                user=reader, token=f"ExponentPushToken[chunk-and-{offset + n:06d}]"
            )
            inbox.mark_read(reader, [unread(reader, 2)[0].pk])
        clock.advance(seconds=60)
        expo.reset()
        with CaptureQueriesContext(connection) as queries:
            report = deliver_due()
        assert report.successful == count
        assert {m["badge"] for m in expo.delivered} == {1}
        assert len(expo.delivered) == count  # the iOS device of each
        return len(queries)

    assert run(2, 0) == run(12, 100)
