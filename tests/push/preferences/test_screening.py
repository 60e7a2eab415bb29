"""Preferences applied by the delivery engine, end to end against the loopback Expo server."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

import push
from push.delivery.engine import deliver_due
from push.models import NotificationLog, PushToken
from push.preferences import QuietHours, update_preferences
from tests.support.devices import register_devices
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

TOKEN = "ExponentPushToken[preferences-phone-aaaa]"
NIGHT = QuietHours(time(22, 0), time(7, 0), "Europe/Berlin")
# 23:30 in Berlin (summer time): inside NIGHT, which ends at 07:00 CEST = 05:00 UTC.
LATE_EVENING = datetime(2024, 6, 10, 21, 30, tzinfo=UTC)
NIGHT_ENDS = datetime(2024, 6, 11, 5, 0, tzinfo=UTC)


@pytest.fixture
def phone(user):
    [phone] = register_devices(user, TOKEN)
    return phone


def chat(user, committed, text="Tap to view message"):
    with committed():
        return push.send(
            user, "New message from Bob", text, data={"type": "message"}, type="message"
        )


def test_a_switched_off_type_is_skipped_without_a_request(user, phone, expo, committed):
    update_preferences(user, {"message": False})
    log = chat(user, committed)
    assert log.status == "skipped"
    assert log.error_message == "TypeDisabled: the user switched off message notifications."
    stored = NotificationLog.objects.get(pk=log.pk)
    assert (stored.status, stored.error_message) == ("skipped", log.error_message)
    assert stored.next_attempt_at is None
    assert expo.stats.send_requests == 0
    assert not stored.deliveries.exists()


def test_other_types_still_go_out(user, phone, expo, committed):
    update_preferences(user, {"message": False})
    with committed():
        log = push.send(user, "Order Update", "Shipped", data={"type": "order"}, type="order")
    assert log.status == "sent"
    assert [m["to"] for m in expo.delivered] == [TOKEN]


def test_system_notifications_ignore_a_stored_switch(user, phone, expo, committed):
    # The API refuses it; a row written another way still cannot silence system messages.
    update_preferences(user, {"message": False})
    user.push_preference.disabled_types = ["message", "system"]
    user.push_preference.save()
    with committed():
        log = push.send(user, "Maintenance", "Tonight at 2")
    assert log.status == "sent"


def news(user, committed, text="Bob reviewed your desk lamp"):
    with committed():
        return push.send(user, "New review", text, data={"type": "review"}, type="review")


def test_quiet_hours_hold_until_the_window_ends(user, phone, expo, committed, clock):
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    log = news(user, committed)
    assert (log.status, log.next_attempt_at) == ("pending", NIGHT_ENDS)
    stored = NotificationLog.objects.get(pk=log.pk)
    assert (stored.status, stored.next_attempt_at, stored.lease_token) == (
        "pending",
        NIGHT_ENDS,
        "",
    )
    assert stored.error_message.startswith("QuietHours")
    assert expo.stats.send_requests == 0
    # Not due yet: a worker run during the night leaves it alone.
    clock.set(NIGHT_ENDS - timedelta(minutes=1))
    assert deliver_due().total == 0
    # The window is over: the next run delivers it.
    clock.set(NIGHT_ENDS + timedelta(seconds=30))
    report = deliver_due()
    assert (report.total, report.successful) == (1, 1)
    stored.refresh_from_db()
    assert stored.status == "sent"
    assert [m["to"] for m in expo.delivered] == [TOKEN]


def test_a_held_notification_made_due_early_is_held_again(user, phone, expo, committed, clock):
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    log = chat(user, committed)
    NotificationLog.objects.filter(pk=log.pk).update(next_attempt_at=LATE_EVENING)
    clock.advance(minutes=5)
    report = deliver_due()
    assert (report.total, report.pending) == (1, 1)
    assert NotificationLog.objects.get(pk=log.pk).next_attempt_at == NIGHT_ENDS
    assert expo.stats.send_requests == 0


@pytest.mark.parametrize("kind", ["order", "payment"])
def test_urgent_types_go_through_quiet_hours(user, phone, expo, committed, clock, kind):
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    with committed():
        log = push.send(user, "Payment", "Confirmed", data={"type": kind}, type=kind)
    assert log.status == "sent"


def test_outside_quiet_hours_nothing_is_held(user, phone, expo, committed, clock):
    update_preferences(user, {}, NIGHT)
    clock.set(datetime(2024, 6, 10, 10, 0, tzinfo=UTC))  # noon in Berlin
    assert chat(user, committed).status == "sent"


def test_quiet_hours_of_one_user_do_not_hold_anothers(
    user, other_user, phone, expo, committed, clock
):
    PushToken.objects.create(user=other_user, token="ExponentPushToken[bobs-phone-aaaaaa]")
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    with committed():
        push.send_bulk([user, other_user], "Hi", "There", type="product")
    statuses = dict(NotificationLog.objects.values_list("user__username", "status"))
    assert statuses == {"alice": "pending", "bob": "sent"}
    assert [m["to"] for m in expo.delivered] == ["ExponentPushToken[bobs-phone-aaaaaa]"]


def test_the_hourly_cap_holds_the_extra_ones(user, phone, expo, committed, clock, settings):
    push_settings_update(settings, MAX_NOTIFICATIONS_PER_HOUR=3)
    start = clock.now
    logs = []
    for n in range(5):
        logs.append(chat(user, committed, text=f"message {n}"))
        clock.advance(minutes=1)
    assert [log.status for log in logs] == ["sent"] * 3 + ["pending"] * 2
    # Held until the first one of the hour is an hour old.
    assert {log.next_attempt_at for log in logs[3:]} == {start + timedelta(hours=1)}
    assert all(log.error_message.startswith("HourlyCap") for log in logs[3:])
    assert len(expo.delivered) == 3
    # Urgent notifications are not counted and not capped.
    with committed():
        order = push.send(user, "Order Update", "Shipped", data={"type": "order"}, type="order")
    assert order.status == "sent"
    # An hour after the first: one slot is free, and the held ones take it as one digest.
    clock.set(start + timedelta(hours=1, seconds=1))
    report = deliver_due()
    assert (report.successful, report.pending) == (2, 0)
    digest = expo.delivered[-1]
    assert (digest["title"], digest["body"]) == ("2 new messages", "Latest: message 4")
    assert digest["data"]["count"] == 2
    assert digest["data"]["notificationIds"] == [str(logs[4].pk), str(logs[3].pk)]
    assert sorted(m["body"] for m in expo.delivered if m["data"]["type"] == "message") == [
        "Latest: message 4",
        *(f"message {n}" for n in range(3)),
    ]
    # The digest counts as one push: with "message 2" it fills two of the three slots
    # (counted as two notifications, it would leave none).
    clock.advance(minutes=1)
    assert [chat(user, committed, text=f"later {n}").status for n in range(2)] == [
        "sent",
        "pending",
    ]


def test_no_cap_when_it_is_off(user, phone, expo, committed, settings):
    push_settings_update(settings, MAX_NOTIFICATIONS_PER_HOUR=None)
    assert {chat(user, committed).status for _ in range(25)} == {"sent"}


def test_the_default_cap_is_20_an_hour(user, phone, expo, committed):
    statuses = [chat(user, committed).status for _ in range(22)]
    assert statuses == ["sent"] * 20 + ["pending"] * 2


def _users(count, offset=0):
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bulk-{offset + n}") for n in range(count)
    )
    PushToken.objects.bulk_create(
        PushToken(user=u, token=f"ExponentPushToken[bulk-{u.pk:05d}-aaaaaa]") for u in users
    )
    for n, u in enumerate(users):
        if n % 4 == 1:
            update_preferences(u, {"message": False})
        elif n % 4 == 2:
            update_preferences(u, {}, NIGHT)
    return users


def _bulk_queries(clock):
    clock.set(LATE_EVENING)
    with CaptureQueriesContext(connection) as queries:
        report = push.send_bulk(
            get_user_model().objects.filter(username__startswith="bulk-"),
            "New message",
            "Tap to view message",
            data={"type": "message"},
            type="message",
        )
    return report, len(queries)


@pytest.mark.django_db(transaction=True)
def test_bulk_sends_honour_preferences_with_a_fixed_number_of_queries(
    expo, clock, django_assert_max_num_queries
):
    _users(8)
    report, few = _bulk_queries(clock)
    assert (report["total"], report["successful"], report["skipped"], report["pending"]) == (
        8,
        4,
        2,
        2,
    )
    NotificationLog.objects.all().delete()
    expo.reset()
    # 40, not more: SQLite splits an INSERT of more rows (999 variables; 40 rows of about
    # 21 columns fit), not a query per user.
    _users(32, offset=8)
    with django_assert_max_num_queries(few):
        report, many = _bulk_queries(clock)
    assert (report["total"], report["successful"], report["skipped"], report["pending"]) == (
        40,
        20,
        10,
        10,
    )
    assert many == few
    skipped = NotificationLog.objects.filter(status="skipped")
    assert {log.error_message for log in skipped} == {
        "TypeDisabled: the user switched off message notifications."
    }
    held = NotificationLog.objects.filter(status="pending")
    assert {log.next_attempt_at for log in held} == {NIGHT_ENDS}
    assert len(expo.delivered) == 20


# -- held is later, not never -----------------------------------------------------------------


def test_clearing_quiet_hours_releases_what_they_held_at_once(user, phone, expo, committed, clock):
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    log = chat(user, committed)
    assert (log.status, expo.delivered) == ("pending", [])
    with committed():
        update_preferences(user, {}, None)  # the user switches quiet hours off at 23:30
    log.refresh_from_db()
    assert (log.status, log.released_at) == ("sent", LATE_EVENING)
    assert [m["body"] for m in expo.delivered] == ["Tap to view message"]


def test_shortened_quiet_hours_hold_only_until_their_new_end(user, phone, expo, committed, clock):
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)  # 23:30 in Berlin
    log = chat(user, committed)
    with committed():
        update_preferences(user, {}, QuietHours(time(22, 0), time(23, 45), "Europe/Berlin"))
    log.refresh_from_db()
    new_end = LATE_EVENING + timedelta(minutes=15)
    assert (log.status, log.next_attempt_at, log.released_at) == ("pending", new_end, new_end)
    clock.set(new_end + timedelta(seconds=1))
    assert deliver_due().successful == 1


def test_a_held_notification_read_in_the_app_is_not_pushed_nor_counted(
    user, phone, expo, committed, clock
):
    update_preferences(user, {}, NIGHT)
    clock.set(LATE_EVENING)
    read, *_unread = (chat(user, committed, text=f"chat {n}") for n in range(3))
    assert push.inbox.mark_read(user, [read.pk]) == 1  # seen in the app during the night
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    report = deliver_due()
    assert (report.successful, report.skipped) == (2, 1)
    read.refresh_from_db()
    assert (read.status, read.error_message) == (
        "skipped",
        "ReadInApp: the user read it in the app before it was pushed.",
    )
    [digest] = expo.delivered
    assert (digest["title"], digest["data"]["count"]) == ("2 new messages", 2)
    assert str(read.pk) not in digest["data"]["notificationIds"]


def test_chats_over_the_hourly_cap_arrive_as_one_digest_however_late(
    user, phone, expo, committed, clock, settings
):
    push_settings_update(settings, MAX_NOTIFICATIONS_PER_HOUR=1)
    start = clock.now
    first = chat(user, committed, text="first")
    clock.advance(minutes=1)
    later = [chat(user, committed, text=f"over the cap {n}") for n in range(3)]
    assert first.status == "sent" and {log.status for log in later} == {"pending"}
    # Nothing looked at the outbox until 90 minutes after the first: still worth an hour
    # from their release at the end of the hour, not from when they were written.
    clock.set(start + timedelta(minutes=90))
    report = deliver_due()
    assert (report.successful, report.skipped) == (3, 0)
    digest = expo.delivered[-1]
    assert (digest["title"], digest["data"]["count"]) == ("3 new messages", 3)
    assert digest["ttl"] == 3600 - 30 * 60
