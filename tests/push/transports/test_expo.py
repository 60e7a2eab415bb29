"""ExpoTransport over real HTTP against the loopback Expo server (tests/support/expo/).

Nothing is mocked: every test sends through `requests` to the `expo` fixture's server and
asserts on what the server observed. Assertions count requests and deliveries, never durations.
"""

import logging
import time

import pytest
import requests

from push import errors
from push.transports import get_transport
from push.transports.base import OutgoingMessage
from push.transports.expo import ExpoTransport
from tests.support.expo import (
    ALL_FAULTS,
    GATEWAY_HTML,
    HTTP_500,
    TIMEOUT,
    ExpoServer,
)
from tests.support.settings import push_settings_update


def token(name: str) -> str:
    """Return a well-formed Expo token, unique per name and longer than 20 characters."""
    return f"ExponentPushToken[{name}-0123456789abcdef]"


def messages_for(count: int, prefix: str = "device") -> list[OutgoingMessage]:
    """Return `count` messages to distinct tokens, each with its index in data."""
    return [
        OutgoingMessage(token(f"{prefix}{i}"), {"title": "T", "body": f"B{i}", "data": {"i": i}})
        for i in range(count)
    ]


def transport(**options) -> ExpoTransport:
    """Return an ExpoTransport from the settings, with test defaults (no rate limit, retries)."""
    defaults = {"concurrency": 6, "rate_per_second": None, "retry_attempts": 4}
    return get_transport("push.transports.expo.ExpoTransport", **{**defaults, **options})


def assert_each_delivered_once(expo: ExpoServer, messages: list[OutgoingMessage]) -> None:
    assert expo.duplicates() == {}
    assert len(expo.delivered) == len(messages)
    for message in messages:
        assert expo.delivered_count(message.token) == 1, message.token


def wait_until_idle(expo: ExpoServer, deadline: float = 5.0) -> None:
    """Wait until the server answers no request, e.g. a stalled timeout-fault handler.

    A stalled handler outlives the client's read timeout; left running it would count as
    "in flight" in the next test's `stats.max_concurrent`.
    """
    end = time.monotonic() + deadline
    while expo.in_flight and time.monotonic() < end:
        time.sleep(0.02)
    assert expo.in_flight == 0


@pytest.fixture
def restore_burst(expo: ExpoServer, monkeypatch: pytest.MonkeyPatch) -> ExpoServer:
    """Let a test change the server's bucket size; the session server gets it back after."""
    monkeypatch.setattr(expo, "burst", expo.burst)
    return expo


# -- sending ------------------------------------------------------------------------------------


def test_tickets_come_back_one_per_message_in_order(expo: ExpoServer) -> None:
    messages = messages_for(5)
    with transport() as sender:
        tickets = sender.send_messages(messages)

    assert len(tickets) == 5
    assert all(ticket.ok and ticket.id and ticket.error is None for ticket in tickets)
    assert len({ticket.id for ticket in tickets}) == 5
    assert expo.delivered == [
        {"to": m.token, "title": "T", "body": f"B{i}", "data": {"i": i}}
        for i, m in enumerate(messages)
    ]
    # Tickets are in message order: the receipt of ticket i belongs to token i.
    expo.receipt_errors[messages[3].token] = "DeviceNotRegistered"
    with transport() as sender:
        receipts = sender.get_receipts([ticket.id for ticket in tickets])
    assert [receipts[ticket.id].ok for ticket in tickets] == [True, True, True, False, True]


def test_an_empty_send_makes_no_request(expo: ExpoServer) -> None:
    with transport() as sender:
        assert sender.send_messages([]) == []
    assert expo.stats.send_requests == 0


def test_messages_are_chunked_at_100_recipients(expo: ExpoServer) -> None:
    messages = messages_for(250)
    with transport() as sender:
        tickets = sender.send_messages(messages)

    assert all(ticket.ok for ticket in tickets)
    stats = expo.stats
    assert stats.send_requests == 3
    assert stats.max_batch == 100
    assert stats.responses_by_status == {200: 3}  # no PUSH_TOO_MANY_NOTIFICATIONS
    assert sender.stats.requests == 3
    assert_each_delivered_once(expo, messages)


def test_large_bodies_are_gzipped_and_small_ones_are_not(expo: ExpoServer) -> None:
    responses: list[requests.Response] = []
    with transport() as sender:
        sender.session.hooks["response"].append(lambda response, **_: responses.append(response))
        sender.send_messages(messages_for(1))
        assert expo.stats.gzip_requests == 0
        sender.send_messages(messages_for(50))
        assert expo.stats.gzip_requests == 1

    small, large = responses
    assert "Content-Encoding" not in small.request.headers
    assert large.request.headers["Content-Encoding"] == "gzip"
    for response in responses:
        assert "gzip" in response.request.headers["Accept-Encoding"]
        assert response.request.headers["Content-Type"] == "application/json"
        assert response.request.headers["Accept"] == "application/json"
    # The server compresses big answers only for clients that accept gzip.
    assert large.headers["Content-Encoding"] == "gzip"
    assert len(expo.delivered) == 51


# -- enhanced push security ---------------------------------------------------------------------


def test_the_access_token_is_sent_as_a_bearer_token(expo: ExpoServer) -> None:
    expo.access_token = "s3cret-access-token"
    messages = messages_for(3)
    with transport(access_token="s3cret-access-token") as sender:
        tickets = sender.send_messages(messages)
        receipts = sender.get_receipts([ticket.id for ticket in tickets])

    assert all(ticket.ok for ticket in tickets)
    assert all(receipt.ok for receipt in receipts.values()) and len(receipts) == 3
    assert_each_delivered_once(expo, messages)


def test_the_access_token_setting_is_used_by_default(expo: ExpoServer, settings) -> None:
    expo.access_token = "from-settings"
    push_settings_update(settings, EXPO_ACCESS_TOKEN="from-settings")
    with transport() as sender:
        assert all(ticket.ok for ticket in sender.send_messages(messages_for(2)))
    assert len(expo.delivered) == 2


def test_a_missing_access_token_fails_without_retry_and_is_reported_on_the_tickets(
    expo: ExpoServer, caplog: pytest.LogCaptureFixture
) -> None:
    expo.access_token = "s3cret-access-token"
    caplog.set_level(logging.WARNING)
    with transport(retry_attempts=4) as sender:
        tickets = sender.send_messages(messages_for(3))

    assert [ticket.error for ticket in tickets] == ["UNAUTHORIZED"] * 3
    assert not any(ticket.ok for ticket in tickets)
    assert tickets[0].rule.alert_operator and not tickets[0].rule.retry
    assert expo.stats.send_requests == 1
    assert sender.stats.retries == 0
    assert sender.stats.batch_failures == {"UNAUTHORIZED": 1}
    assert expo.delivered == []
    # A transport reports; delivery acts (the operator's alert: test_operator_alerts below).
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "UNAUTHORIZED" in caplog.records[0].getMessage()


# -- concurrency and rate -----------------------------------------------------------------------


def test_batches_run_concurrently_up_to_the_limit_on_reused_connections(
    expo: ExpoServer,
) -> None:
    wait_until_idle(expo)
    expo.latency = 0.05
    messages = messages_for(2000)  # 20 batches
    with transport(concurrency=3) as sender:
        tickets = sender.send_messages(messages)

    assert all(ticket.ok for ticket in tickets)
    stats = expo.stats
    assert stats.send_requests == 20
    assert 1 < stats.max_concurrent <= 3
    assert stats.connections <= 3  # one pooled connection per worker, reused
    assert_each_delivered_once(expo, messages)


def test_without_open_batches_are_sent_one_at_a_time(expo: ExpoServer) -> None:
    wait_until_idle(expo)
    expo.latency = 0.01
    sender = transport(concurrency=3)
    try:
        sender.send_messages(messages_for(300))
    finally:
        sender.close()
    assert expo.stats.max_concurrent == 1
    assert expo.stats.connections == 1


def test_the_client_rate_limit_avoids_429s(restore_burst: ExpoServer) -> None:
    expo = restore_burst
    expo.rate_per_second = 500
    expo.burst = 500
    messages = messages_for(1000)
    with transport(rate_per_second=500, retry_attempts=1) as sender:
        tickets = sender.send_messages(messages)

    assert all(ticket.ok for ticket in tickets)
    assert expo.stats.rate_limited == 0
    assert expo.stats.send_requests == 10
    assert_each_delivered_once(expo, messages)


def test_a_client_rate_below_one_batch_a_second_still_sends_full_batches(
    expo: ExpoServer,
) -> None:
    # The bucket holds 99 tokens; a 100-recipient batch must wait for the 100th, not crash.
    messages = messages_for(100)
    with transport(rate_per_second=99) as sender:
        tickets = sender.send_messages(messages)

    assert all(ticket.ok for ticket in tickets)
    assert expo.stats.send_requests == 1
    assert_each_delivered_once(expo, messages)


def test_server_429s_are_retried_until_everything_is_delivered_once(
    restore_burst: ExpoServer, settings
) -> None:
    expo = restore_burst
    push_settings_update(settings, RETRY_BACKOFF_MAX_SECONDS=0.4)
    expo.rate_per_second = 300
    expo.burst = 100
    messages = messages_for(300)
    with transport(concurrency=3, retry_attempts=30, retry_backoff=0.2) as sender:
        tickets = sender.send_messages(messages)

    assert all(ticket.ok for ticket in tickets)
    stats = expo.stats
    assert stats.rate_limited >= 1
    assert stats.responses_by_status[429] == stats.rate_limited
    assert stats.responses_by_status[200] == 3
    assert sender.stats.retries >= 1
    # (The transport's counters are not locked across worker threads: no exact match.)
    assert sender.stats.batch_failures["TOO_MANY_REQUESTS"] >= 1
    assert_each_delivered_once(expo, messages)


# -- faults and retries -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_FAULTS)
def test_a_transient_fault_is_retried_and_delivers_exactly_once(
    expo: ExpoServer, kind: str
) -> None:
    expo.fail_next(kind)
    messages = messages_for(30)
    with transport(concurrency=1) as sender:
        tickets = sender.send_messages(messages)

    assert all(ticket.ok for ticket in tickets), tickets
    assert expo.stats.faults_injected == {kind: 1}
    assert expo.stats.send_requests == 2
    assert sender.stats.retries >= 1
    assert sum(sender.stats.batch_failures.values()) == 1
    assert_each_delivered_once(expo, messages)
    if kind == TIMEOUT:
        wait_until_idle(expo)  # the stalled handler must not leak into the next test


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        # A 500 carrying Expo's JSON error keeps its (retryable) code ...
        (HTTP_500, "INTERNAL_SERVER_ERROR"),
        # ... a gateway page without one becomes our SERVER_ERROR.
        (GATEWAY_HTML, errors.SERVER_ERROR),
    ],
)
def test_retries_give_up_after_the_configured_attempts(
    expo: ExpoServer, kind: str, error: str
) -> None:
    expo.fail_next(kind, 10)
    messages = messages_for(5)
    with transport(retry_attempts=3) as sender:
        tickets = sender.send_messages(messages)

    assert len(tickets) == 5
    assert all(not ticket.ok and ticket.error == error for ticket in tickets)
    assert all(ticket.rule.retry for ticket in tickets)
    assert expo.stats.send_requests == 3
    assert sender.stats.requests == 3
    assert sender.stats.retries == 2
    assert expo.delivered == []


def test_a_non_retryable_request_error_is_not_retried(expo: ExpoServer) -> None:
    # Expo refuses a `data` that is not an object with a 400 validation error.
    messages = [OutgoingMessage(t.token, {**t.payload, "data": [1]}) for t in messages_for(4)]
    with transport(retry_attempts=4) as sender:
        tickets = sender.send_messages(messages)

    assert [ticket.error for ticket in tickets] == ["VALIDATION_ERROR"] * 4
    assert not tickets[0].rule.retry and not tickets[0].rule.deactivate_token
    # Every message is bad: the request, its halves, then each alone; never the same twice.
    assert expo.stats.send_requests == 1 + 2 + 4
    assert sender.stats.retries == 0
    assert expo.delivered == []


def test_one_invalid_message_fails_alone_and_its_99_neighbours_are_sent(expo: ExpoServer) -> None:
    messages = messages_for(100)
    bad = 37
    messages[bad] = OutgoingMessage(messages[bad].token, {**messages[bad].payload, "badge": "x"})
    with transport() as sender:
        tickets = sender.send_messages(messages)

    assert [index for index, ticket in enumerate(tickets) if not ticket.ok] == [bad]
    assert tickets[bad].error == "VALIDATION_ERROR"
    assert '"badge" is invalid' in tickets[bad].message
    assert len(expo.delivered) == 99 and expo.duplicates() == {}
    # Bisection: at most 2 requests per halving level for one bad message (7 levels).
    assert expo.stats.send_requests <= 1 + 2 * 7


def test_tokens_of_several_expo_projects_are_sent_project_by_project(expo: ExpoServer) -> None:
    messages = messages_for(5)
    for message in messages[1::2]:
        expo.token_projects[message.token] = "@other/app"
    with transport() as sender:
        tickets = sender.send_messages(messages)

    assert all(ticket.ok for ticket in tickets)
    # The refused request, then one per project; tickets still in message order.
    assert expo.stats.send_requests == 3
    assert sorted(m["to"] for m in expo.delivered) == sorted(m.token for m in messages)
    assert expo.duplicates() == {}
    receipts = sender.get_receipts([ticket.id for ticket in tickets])
    assert len(receipts) == 5


# -- per-ticket errors --------------------------------------------------------------------------


def test_ticket_errors_are_matched_to_recipients_by_position(expo: ExpoServer) -> None:
    ok1, gone, ok2 = token("ok1"), token("gone"), token("ok2")
    expo.token_errors[gone] = "DeviceNotRegistered"
    messages = [OutgoingMessage(t, {"body": "hi", "data": {"t": t}}) for t in (ok1, gone, ok2)]
    with transport() as sender:
        tickets = sender.send_messages(messages)

    assert tickets[0].ok and tickets[2].ok
    assert not tickets[1].ok and tickets[1].id is None
    assert tickets[1].error == "DeviceNotRegistered"
    assert tickets[1].rule.deactivate_token
    assert not tickets[1].rule.retry
    # Expo quotes the token in its message: only a masked prefix may remain.
    assert gone not in tickets[1].message
    assert gone[:20] in tickets[1].message
    assert expo.stats.send_requests == 1
    assert [m["to"] for m in expo.delivered] == [ok1, ok2]


def test_invalid_credentials_alert_the_operator_and_spare_the_token(expo: ExpoServer) -> None:
    fine, blamed = token("fine"), token("blamed")
    expo.token_errors[blamed] = "InvalidCredentials"
    with transport() as sender:
        tickets = sender.send_messages(
            [OutgoingMessage(blamed, {"body": "x"}), OutgoingMessage(fine, {"body": "y"})]
        )

    assert tickets[0].error == "InvalidCredentials"
    assert tickets[0].rule.alert_operator
    assert not tickets[0].rule.deactivate_token
    assert not tickets[0].rule.retry
    assert blamed not in tickets[0].message and blamed[:20] in tickets[0].message
    assert tickets[1].ok
    assert expo.stats.send_requests == 1


def test_a_retryable_ticket_error_is_retried_for_that_recipient_only(
    expo: ExpoServer,
) -> None:
    a, limited, b = token("a"), token("limited"), token("b")
    expo.token_errors[limited] = "MessageRateExceeded"
    messages = [OutgoingMessage(t, {"body": "hi", "data": {"t": t}}) for t in (a, limited, b)]
    with transport(retry_attempts=3) as sender:
        tickets = sender.send_messages(messages)

    assert tickets[0].ok and tickets[2].ok
    assert tickets[1].error == "MessageRateExceeded"
    assert tickets[1].rule.retry
    assert expo.stats.send_requests == 3  # the first with all three, then `limited` alone
    assert sender.stats.retries == 2
    assert expo.delivered_count(a) == 1
    assert expo.delivered_count(b) == 1
    assert expo.delivered_count(limited) == 0
    assert expo.duplicates() == {}


def test_a_batch_fault_while_retrying_one_recipient_spares_its_neighbours(
    expo: ExpoServer,
) -> None:
    a, limited, b = token("a"), token("limited"), token("b")
    expo.token_errors[limited] = "MessageRateExceeded"
    with transport(retry_attempts=2) as sender:
        # Once the first answer is in, make the next request (the retry) fail whole.
        hooks = sender.session.hooks["response"]
        hooks.append(lambda response, **_: hooks.clear() or expo.fail_next(HTTP_500))
        tickets = sender.send_messages([OutgoingMessage(t, {"body": "x"}) for t in (a, limited, b)])

    assert tickets[0].ok and tickets[2].ok
    assert tickets[1].error == "INTERNAL_SERVER_ERROR"
    assert tickets[1].rule.retry
    assert expo.stats.send_requests == 2
    assert expo.stats.faults_injected == {HTTP_500: 1}
    assert expo.delivered_count(a) == expo.delivered_count(b) == 1


# -- receipts -----------------------------------------------------------------------------------


def test_receipts_report_ok_and_errors(expo: ExpoServer) -> None:
    messages = messages_for(4)
    dead = messages[2].token
    with transport() as sender:
        tickets = sender.send_messages(messages)
        expo.receipt_errors[dead] = "DeviceNotRegistered"
        receipts = sender.get_receipts([ticket.id for ticket in tickets])

    assert set(receipts) == {ticket.id for ticket in tickets}
    for i, ticket in enumerate(tickets):
        receipt = receipts[ticket.id]
        if i == 2:
            assert not receipt.ok
            assert receipt.error == "DeviceNotRegistered"
            assert receipt.rule.deactivate_token
        else:
            assert receipt.ok and receipt.error is None
    assert expo.stats.receipt_requests == 1


def test_receipts_are_fetched_1000_ids_at_a_time(expo: ExpoServer) -> None:
    real = messages_for(2)
    with transport() as sender:
        tickets = sender.send_messages(real)
        ids = [f"fake-{i}" for i in range(2498)] + [ticket.id for ticket in tickets]
        receipts = sender.get_receipts(ids)

    assert expo.stats.receipt_requests == 3
    # Unknown ids are simply missing; the real ones in the last request are answered.
    assert set(receipts) == {ticket.id for ticket in tickets}
    assert all(receipt.ok for receipt in receipts.values())


def test_a_payload_too_big_for_expo_gets_a_message_too_big_receipt(expo: ExpoServer) -> None:
    big = OutgoingMessage(token("big"), {"title": "big", "data": {"blob": "x" * 5000}})
    small = OutgoingMessage(token("small"), {"title": "small", "data": {"n": 1}})
    with transport() as sender:
        tickets = sender.send_messages([big, small])
        receipts = sender.get_receipts([ticket.id for ticket in tickets])

    assert tickets[0].ok and tickets[0].id
    big_receipt = receipts[tickets[0].id]
    assert not big_receipt.ok
    assert big_receipt.error == "MessageTooBig"
    assert not big_receipt.rule.retry and not big_receipt.rule.deactivate_token
    assert big.token not in big_receipt.message
    assert receipts[tickets[1].id].ok
