"""Receipts: fetched in 1000s, acted on, retried until Expo forgets them.

The push_receipts command itself: tests/push/commands/test_push_receipts.py.
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

import push
from push.delivery.receipts import check_receipts
from push.exceptions import BatchFailed
from push.models import OperatorAlert, PushDelivery, PushToken
from tests.support.devices import sent_to

pytestmark = pytest.mark.django_db(transaction=True)


def age(seconds: float) -> None:
    """Make every ticket `seconds` old."""
    PushDelivery.objects.update(updated_at=timezone.now() - timedelta(seconds=seconds))


TOKENS = [f"ExponentPushToken[receipt-{n}]" for n in range(4)]


def test_receipts_are_recorded_and_acted_on(user, expo, caplog):
    expo.receipt_errors[TOKENS[1]] = "DeviceNotRegistered"
    expo.receipt_errors[TOKENS[2]] = "InvalidCredentials"
    expo.receipt_errors[TOKENS[3]] = "MessageRateExceeded"
    sent_to(user, TOKENS)
    age(16 * 60)
    with caplog.at_level(logging.ERROR, logger="push"):
        report = check_receipts()
    assert (report.checked, report.ok, report.failed) == (4, 1, 3)
    assert report.deactivated_tokens == 1
    receipts = {d.token: (d.receipt_status, d.receipt_error) for d in PushDelivery.objects.all()}
    assert receipts == {
        TOKENS[0]: ("ok", ""),
        TOKENS[1]: ("error", "DeviceNotRegistered"),
        TOKENS[2]: ("error", "InvalidCredentials"),
        TOKENS[3]: ("error", "MessageRateExceeded"),
    }
    active = dict(PushToken.objects.values_list("token", "is_active"))
    assert active == {TOKENS[0]: True, TOKENS[1]: False, TOKENS[2]: True, TOKENS[3]: True}
    assert "InvalidCredentials" in caplog.text
    assert all(d.receipt_checked_at for d in PushDelivery.objects.all())
    # act_on_errors records why the token went and the alert for the overview.
    dead = PushToken.objects.get(token=TOKENS[1])
    assert (dead.deactivation_reason, dead.deactivated_at is not None) == (
        "DeviceNotRegistered",
        True,
    )
    alert = OperatorAlert.objects.get()
    assert (alert.code, alert.count, alert.source) == ("InvalidCredentials", 1, "receipts")


def test_a_refused_receipts_request_is_an_operator_alert(user, expo, settings):
    sent_to(user, TOKENS[:1])
    age(16 * 60)
    expo.access_token = "s3cret"  # the project requires it; we send none: UNAUTHORIZED
    with pytest.raises(BatchFailed):
        check_receipts()
    alert = OperatorAlert.objects.get()
    assert (alert.code, alert.source) == ("UNAUTHORIZED", "request")


def test_a_missing_access_token_alerts_the_operator_once_when_delivered(user, expo, caplog) -> None:
    PushToken.objects.create(user=user, token=TOKENS[0])
    expo.access_token = "s3cret-access-token"
    caplog.set_level(logging.WARNING)

    log = push.send(user, "Hi", "There")

    assert log.status == "failed" and log.error_message.startswith("UNAUTHORIZED")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "UNAUTHORIZED" in errors[0].getMessage()
    assert [(a.code, a.source) for a in OperatorAlert.objects.all()] == [
        ("UNAUTHORIZED", "tickets")
    ]


def test_message_too_big_is_recorded(user, expo):
    PushToken.objects.create(user=user, token=TOKENS[0])
    push.send(user, "Hi", "There", subtitle="s")
    expo.receipt_errors[TOKENS[0]] = "MessageTooBig"
    age(3600)
    check_receipts()
    assert PushDelivery.objects.get().receipt_error == "MessageTooBig"
    assert PushToken.objects.get().is_active is True


def test_young_tickets_wait_for_the_minimum_age(user, expo):
    sent_to(user, TOKENS[:1])
    assert check_receipts().checked == 0
    assert expo.stats.receipt_requests == 0
    assert check_receipts(min_age=timedelta(0)).checked == 1


def test_missing_receipts_are_asked_again_until_expo_forgets_them(user, expo):
    sent_to(user, TOKENS[:1])
    expo.receipt_delay = 3600  # Expo has no receipt yet
    age(20 * 60)
    report = check_receipts()
    assert (report.checked, report.not_ready) == (1, 1)
    delivery = PushDelivery.objects.get()
    assert delivery.receipt_status == ""
    assert delivery.receipt_checked_at is not None
    age(25 * 3600)
    report = check_receipts()
    assert report.expired == 1
    assert PushDelivery.objects.get().receipt_status == "expired"
    assert check_receipts().checked == 0


def test_receipts_are_fetched_in_requests_of_at_most_1000(user, expo):
    push_token = PushToken.objects.create(user=user, token=TOKENS[0])
    log = push.send(user, "Hi", "There")
    PushDelivery.objects.bulk_create(
        PushDelivery(
            notification=log,
            push_token=push_token,
            token=f"ExponentPushToken[bulk-{n}]",
            status="accepted",
            ticket_id=f"unknown-{n}",
        )
        for n in range(2100)
    )
    age(3600)
    report = check_receipts()
    assert report.checked == 2101
    assert expo.stats.receipt_requests == 3
