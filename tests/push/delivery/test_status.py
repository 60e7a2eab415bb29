"""The status decision of one delivery attempt: a pure function, decided without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from push.delivery.status import decide, retry_delay
from push.transports import Ticket

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def outcome(tickets, *, attempts_before=0, previously_accepted=0, retry_for=timedelta(hours=24)):
    return decide(
        tickets,
        attempts_before=attempts_before,
        previously_accepted=previously_accepted,
        now=NOW,
        retry_until=NOW + retry_for,
        retry_seconds=30,
        retry_max_seconds=300,
    )


def test_one_accepted_device_makes_it_sent():
    result = outcome([Ticket.accepted("a"), Ticket.failed("DeviceNotRegistered", "gone")])
    assert (result.status, result.successful, result.sent_to_tokens) == ("sent", True, 2)
    assert result.error_message == "DeviceNotRegistered (1 device): gone"
    assert result.attempts == 1 and result.next_attempt_at is None


def test_a_retryable_error_keeps_it_pending_with_a_doubling_wait():
    result = outcome([Ticket.accepted("a"), Ticket.failed("TIMEOUT")], attempts_before=2)
    assert (result.status, result.successful, result.attempts) == ("pending", True, 3)
    assert result.next_attempt_at == NOW + timedelta(seconds=120)


def test_an_outage_is_retried_for_as_long_as_the_window_lasts():
    result = outcome([Ticket.failed("CONNECTION_ERROR")], attempts_before=40)
    assert (result.status, result.next_attempt_at) == ("pending", NOW + timedelta(seconds=300))


def test_no_retry_past_the_window_settles_what_it_got():
    late = timedelta(seconds=100)  # the next try would be 120 s from now
    assert outcome([Ticket.failed("TIMEOUT")], attempts_before=2, retry_for=late).status == (
        "failed"
    )
    accepted_before = outcome(
        [Ticket.failed("TIMEOUT")], attempts_before=2, previously_accepted=1, retry_for=late
    )
    assert (accepted_before.status, accepted_before.sent_to_tokens) == ("sent", 2)
    assert accepted_before.next_attempt_at is None


def test_no_device_at_all_is_skipped():
    result = outcome([])
    assert (result.status, result.error_message) == ("skipped", "User has no active device.")


def test_a_retry_with_nothing_left_to_send_is_sent():
    result = outcome([], previously_accepted=2, attempts_before=1)
    assert (result.status, result.sent_to_tokens, result.error_message) == ("sent", 2, None)


def test_errors_are_described_most_common_first():
    tickets = [Ticket.failed("MessageTooBig")] + [Ticket.failed("DeviceNotRegistered", "x")] * 2
    assert outcome(tickets).error_message == (
        "DeviceNotRegistered (2 devices): x; MessageTooBig (1 device)"
    )


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (4, 240), (5, 300), (9, 300)])
def test_the_retry_delay_doubles_up_to_its_maximum(attempts, seconds):
    assert retry_delay(attempts, 30, 300) == timedelta(seconds=seconds)


def test_the_retry_delay_of_a_huge_attempt_count_stays_the_maximum():
    assert retry_delay(10_000, 30, 300) == timedelta(seconds=300)
