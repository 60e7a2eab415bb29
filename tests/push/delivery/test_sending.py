"""push.send and push.send_bulk end to end: log rows, real HTTP to loopback Expo, outcomes."""

import logging
from datetime import timedelta

import pytest
from django.db import transaction

import push
from push.delivery.engine import deliver_ids
from push.models import NotificationLog, PushDelivery, PushToken
from tests.support.devices import register_devices
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

TOKENS = [f"ExponentPushToken[device-{n:03d}-aaaaaaaaaaaa]" for n in range(3)]


def test_send_reaches_every_active_device(user, expo, committed):
    register_devices(user, *TOKENS[:2])
    PushToken.objects.create(user=user, token="ExponentPushToken[inactive]", is_active=False)
    with committed():
        log = push.send(
            user,
            "Order Update",
            "Your order has been shipped",
            data={"type": "order", "orderId": "7"},
            type="order",
        )
    assert (log.status, log.successful, log.sent_to_tokens, log.error_message) == (
        "sent",
        True,
        2,
        None,
    )
    assert NotificationLog.objects.get().status == "sent"
    sent = sorted(expo.delivered, key=lambda message: message["to"])
    assert [message["to"] for message in sent] == TOKENS[:2]
    for message in sent:
        assert message["title"] == "Order Update"
        assert message["body"] == "Your order has been shipped"
        assert message["data"] == {"type": "order", "orderId": "7", "notificationId": str(log.pk)}
        assert message["sound"] == "default"
        assert message["priority"] == "high"
    records = PushDelivery.objects.filter(notification=log)
    assert {r.status for r in records} == {"accepted"}
    assert all(r.ticket_id for r in records)


def test_send_without_devices_records_why_and_sends_nothing(user, expo, committed):
    with committed():
        log = push.send(user, "Hi", "There")
    assert (log.status, log.successful, log.sent_to_tokens) == ("skipped", False, 0)
    assert log.error_message == "User has no active device."
    assert expo.stats.send_requests == 0


def test_device_not_registered_deactivates_exactly_that_token(user, other_user, expo, committed):
    tokens = register_devices(user, *TOKENS[:3])
    expo.token_errors[TOKENS[1]] = "DeviceNotRegistered"
    with committed():
        log = push.send(user, "Hi", "There")
    assert log.status == "sent"
    assert log.successful is True
    assert "DeviceNotRegistered (1 device)" in log.error_message
    active = dict(PushToken.objects.values_list("token", "is_active"))
    assert active == {tokens[0].token: True, tokens[1].token: False, tokens[2].token: True}


def test_invalid_credentials_never_touches_tokens_and_alerts(user, expo, caplog, committed):
    register_devices(user, *TOKENS[:2])
    for token in TOKENS[:2]:
        expo.token_errors[token] = "InvalidCredentials"
    with caplog.at_level(logging.ERROR, logger="push"):
        with committed():
            log = push.send(user, "Hi", "There")
    assert (log.status, log.successful) == ("failed", False)
    assert "InvalidCredentials (2 devices)" in log.error_message
    assert PushToken.objects.filter(is_active=True).count() == 2
    assert any(
        "InvalidCredentials" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR
    )


def test_http_200_with_only_error_tickets_is_not_successful(user, expo, committed):
    register_devices(user, TOKENS[0])
    expo.token_errors[TOKENS[0]] = "MessageTooBig"
    with committed():
        log = push.send(user, "Hi", "There")
    assert (log.status, log.successful) == ("failed", False)


def test_no_log_or_database_field_contains_a_whole_token(user, expo, caplog, committed):
    register_devices(user, TOKENS[0])
    expo.token_errors[TOKENS[0]] = "DeviceNotRegistered"
    with caplog.at_level(logging.DEBUG):
        with committed():
            log = push.send(user, "Hi", "There")
    assert TOKENS[0] not in caplog.text
    assert TOKENS[0] not in log.error_message
    assert TOKENS[0] not in PushDelivery.objects.get().error_message


def test_transient_failure_stays_pending_and_retry_sends_only_unaccepted_devices(
    user, expo, committed
):
    register_devices(user, *TOKENS[:2])
    expo.token_errors[TOKENS[1]] = "MessageRateExceeded"
    with committed():
        log = push.send(user, "Hi", "There")
    assert (log.status, log.successful, log.attempts) == ("pending", True, 1)
    assert log.next_attempt_at is not None
    assert "MessageRateExceeded" in log.error_message
    del expo.token_errors[TOKENS[1]]

    report = deliver_ids([log.pk])  # what the retry worker does

    log.refresh_from_db()
    assert (log.status, log.successful, log.attempts, log.sent_to_tokens) == ("sent", True, 2, 2)
    assert report.successful == 1
    assert expo.delivered_count(TOKENS[0]) == 1
    assert expo.delivered_count(TOKENS[1]) == 1
    assert set(PushDelivery.objects.values_list("status", flat=True)) == {"accepted"}


def test_retries_stop_when_the_retry_window_is_over(user, expo, settings, committed, clock):
    # RETRY_FOR_SECONDS bounds the retries of a type without a maximum age (else its age).
    push_settings_update(
        settings, RETRY_FOR_SECONDS=60, RETRY_ATTEMPTS=1, MAX_AGE_SECONDS={"system": None}
    )
    register_devices(user, TOKENS[0])
    expo.fail_next("http_500", 5)
    with committed():
        log = push.send(user, "Hi", "There")
    assert (log.status, log.next_attempt_at) == ("pending", clock.now + timedelta(seconds=30))
    clock.advance(seconds=30)  # the next try would be 60 s later: past the window
    deliver_ids([log.pk])
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("failed", 2)
    assert log.error_message.startswith("INTERNAL_SERVER_ERROR (1 device): HTTP 500")


def test_an_expo_outage_of_hours_is_ridden_out(user, expo, settings, committed, clock):
    push_settings_update(settings, RETRY_ATTEMPTS=1)
    register_devices(user, TOKENS[0])
    expo.fail_next("http_500", 30)
    with committed():
        log = push.send(user, "Hi", "There")
    for _ in range(30):  # over two hours of failures, each retry at most 5 minutes apart
        log.refresh_from_db()
        assert log.status == "pending"
        assert log.next_attempt_at - clock.now <= timedelta(minutes=5)
        clock.set(log.next_attempt_at)
        deliver_ids([log.pk])
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("sent", 31)
    assert clock.now - log.created_at > timedelta(hours=2)
    assert expo.delivered_count(TOKENS[0]) == 1


def test_expo_outage_keeps_the_notification(user, expo, settings, committed):
    push_settings_update(settings, RETRY_ATTEMPTS=2)
    register_devices(user, TOKENS[0])
    expo.fail_next("reset", 2)
    with committed():
        log = push.send(user, "Hi", "There")
    assert log.status == "pending"
    assert log.error_message.startswith("CONNECTION_ERROR")
    assert expo.delivered == []


def test_oversized_payload_fails_without_a_request(user, expo, committed):
    register_devices(user, TOKENS[0])
    with committed():
        log = push.send(user, "Hi", "There", data={"blob": "x" * 5000})
    assert log.status == "failed"
    assert log.error_message.startswith("PayloadTooLarge")
    assert expo.stats.send_requests == 0


def test_options_and_per_type_defaults(user, expo, settings, committed):
    push_settings_update(settings, TYPE_MESSAGE_OPTIONS={"message": {"channelId": "chat"}})
    register_devices(user, TOKENS[0])
    with committed():
        push.send(user, "Hi", "There", type="message", ttl=60, sound=None, badge=3)
    message = expo.delivered[0]
    assert message["channelId"] == "chat"
    assert message["ttl"] == 60
    assert message["badge"] == 3
    assert "sound" not in message


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"type": "spam"}, ValueError),
        ({"colour": "red"}, TypeError),
        ({"data": ["not", "a", "dict"]}, TypeError),
        ({"title": "x" * 256}, ValueError),
    ],
)
def test_invalid_arguments_raise_before_anything_is_written(user, kwargs, error):
    arguments = {"title": "Hi", "body": "There", **kwargs}
    with pytest.raises(error):
        push.send(user, **arguments)
    assert not NotificationLog.objects.exists()


def test_send_inside_a_transaction_waits_for_commit(user, expo, django_capture_on_commit_callbacks):
    register_devices(user, TOKENS[0])
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            log = push.send(user, "Hi", "There")
            assert log.status == "pending"
            assert expo.stats.send_requests == 0
    log.refresh_from_db()
    assert log.status == "sent"
    assert expo.delivered_count(TOKENS[0]) == 1


def test_rolled_back_send_sends_nothing(user, expo, django_capture_on_commit_callbacks):
    register_devices(user, TOKENS[0])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                push.send(user, "Hi", "There")
                raise RuntimeError("the order failed")
    assert callbacks == []
    assert expo.delivered == []
    assert not NotificationLog.objects.exists()


def test_locmem_transport_fills_the_outbox(user, settings, committed):
    push_settings_update(settings, TRANSPORT="push.transports.locmem.LocmemTransport")
    register_devices(user, *TOKENS[:2])
    with committed():
        log = push.send(user, "Hi", "There")
    assert log.status == "sent"
    assert sorted(message.token for message in push.outbox) == TOKENS[:2]
    push.outbox.clear()
    assert push.outbox == []


@pytest.fixture
def many_users(django_user_model):
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"user{n}") for n in range(120)]
    )
    PushToken.objects.bulk_create(
        [
            PushToken(user=u, token=f"ExponentPushToken[bulk-{u.pk}-{n}]")
            for u in users
            for n in range(2)
        ]
    )
    return users


@pytest.mark.django_db(transaction=True)
def test_send_bulk_to_a_queryset(
    many_users, expo, django_user_model, settings, django_assert_max_num_queries
):
    push_settings_update(settings, BATCH_SIZE=50)
    expo.token_errors[f"ExponentPushToken[bulk-{many_users[5].pk}-1]"] = "DeviceNotRegistered"
    queryset = django_user_model.objects.filter(username__startswith="user")
    # 3 chunks of 50 users: a handful of queries each (the badge count one of them), never
    # one per user or device.
    with django_assert_max_num_queries(39):
        summary = push.send_bulk(queryset, "Hello", "Welcome back", data={"type": "system"})
    assert summary["total"] == 120
    assert summary["successful"] == 120
    assert summary["failed"] == 0
    assert summary["devices"] == 240
    assert summary["deactivated_tokens"] == 1
    assert len(expo.delivered) == 239
    assert expo.duplicates() == {}
    assert expo.stats.max_batch <= 100
    assert NotificationLog.objects.filter(status="sent").count() == 120


@pytest.mark.django_db(transaction=True)
def test_many_different_errors_still_cost_a_fixed_number_of_queries(
    many_users, expo, django_user_model, settings, django_assert_max_num_queries
):
    push_settings_update(settings, BATCH_SIZE=50)
    # 40 users whose devices are gone; Expo's message quotes each token, and the masked
    # tokens (their first 20 characters) differ, so each row's error text is its own.
    for number, user in enumerate(many_users[::3]):
        for device in user.push_tokens.all():
            device.token = device.token.replace("[bulk-", f"[{number:02d}-dead-")
            device.save()
            expo.token_errors[device.token] = "DeviceNotRegistered"
    queryset = django_user_model.objects.filter(username__startswith="user")
    # 3 chunks of 50 users, at most 15 queries each (one more than above: the dead tokens;
    # on SQLite a chunk's INSERT of 50 rows of 21 columns splits in two: 999 variables).
    with django_assert_max_num_queries(45):
        summary = push.send_bulk(queryset, "Hello", "Welcome back")
    assert (summary["successful"], summary["failed"]) == (80, 40)
    assert summary["deactivated_tokens"] == 80
    failed = NotificationLog.objects.filter(status="failed")
    assert len({log.error_message for log in failed}) == 40  # each row keeps its own detail
    assert all(log.error_message.startswith("DeviceNotRegistered (2 devices)") for log in failed)


@pytest.mark.django_db(transaction=True)
def test_send_bulk_to_ids_and_users_without_devices(many_users, django_user_model, expo):
    lonely = django_user_model.objects.create(username="lonely")
    summary = push.send_bulk([many_users[0].pk, many_users[1], lonely.pk], "Hi", "There")
    assert (summary["total"], summary["successful"], summary["skipped"]) == (3, 2, 1)
    assert len(expo.delivered) == 4


def test_send_bulk_inside_a_transaction_is_pending_until_commit(
    many_users, django_user_model, expo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            summary = push.send_bulk(django_user_model.objects.all(), "Hi", "There")
            assert summary["pending"] == summary["total"] == 120
            assert expo.delivered == []
    assert len(expo.delivered) == 240
    assert NotificationLog.objects.filter(status="sent").count() == 120


BADGE_CALLS: list[set[int]] = []


def unread_counts(user_ids: set[int]) -> dict[int, int]:
    """A host project's unread count, as BADGE_COUNTS would name it."""
    BADGE_CALLS.append(set(user_ids))
    return {user_id: 7 for user_id in user_ids}


def broken_counts(user_ids: set[int]) -> dict[int, int]:
    raise RuntimeError("the unread service is down")


def test_badges_come_from_the_projects_unread_count(user, expo, settings, committed):
    push_settings_update(settings, BADGE_COUNTS="tests.push.delivery.test_sending.unread_counts")
    register_devices(user, TOKENS[0])
    with committed():
        push.send(user, "Hi", "There")
        push.send(user, "Hi", "Again", badge=3)  # an explicit badge wins
    assert [message["badge"] for message in expo.delivered] == [7, 3]


def test_without_badge_counts_no_badge_is_sent(user, expo, settings, committed):
    push_settings_update(settings, BADGE_COUNTS=None)
    register_devices(user, TOKENS[0])
    with committed():
        push.send(user, "Hi", "There")
    assert "badge" not in expo.delivered[0]


def test_a_failing_badge_count_does_not_stop_delivery(user, expo, settings, committed, caplog):
    push_settings_update(settings, BADGE_COUNTS="tests.push.delivery.test_sending.broken_counts")
    register_devices(user, TOKENS[0])
    with committed():
        log = push.send(user, "Hi", "There")
    assert log.status == "sent"
    assert "badge" not in expo.delivered[0]
    assert "BADGE_COUNTS" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_badge_counts_are_asked_once_per_chunk(many_users, expo, django_user_model, settings):
    push_settings_update(
        settings, BATCH_SIZE=50, BADGE_COUNTS="tests.push.delivery.test_sending.unread_counts"
    )
    BADGE_CALLS.clear()
    push.send_bulk(django_user_model.objects.filter(username__startswith="user"), "Hi", "All")
    assert [len(call) for call in BADGE_CALLS] == [50, 50, 20]
    assert {message["badge"] for message in expo.delivered} == {7}
