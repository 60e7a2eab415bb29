"""Tests of the loopback Expo server itself, over real HTTP with requests."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.expo import (
    ALL_FAULTS,
    GATEWAY_HTML,
    GATEWAY_TEXT,
    HTTP_500,
    NON_JSON,
    RESET,
    TIMEOUT,
    TOO_MANY_REQUESTS,
    WRONG_TICKET_COUNT,
    ExpoServer,
    Tarpit,
)

A = "ExponentPushToken[aaaaaaaaaaaaaaaaaaaaaa]"
B = "ExpoPushToken[bbbbbbbbbbbbbbbbbbbbbb]"
C = "ExponentPushToken[cccccccccccccccccccccc]"


@pytest.fixture
def expo() -> Iterator[ExpoServer]:
    with ExpoServer(timeout_seconds=0.5) as server:
        yield server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def send(expo: ExpoServer, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(expo.url + "/send", json=body, timeout=5, **kwargs)


def receipts(expo: ExpoServer, ids: list[str], **kwargs: Any) -> requests.Response:
    return requests.post(expo.url + "/getReceipts", json={"ids": ids}, timeout=5, **kwargs)


def error_code(response: requests.Response) -> str:
    return response.json()["errors"][0]["code"]


# -- lifecycle ----------------------------------------------------------------------------------


def test_start_binds_loopback_and_stop_releases_the_port() -> None:
    server = ExpoServer().start()
    assert server.url.startswith("http://127.0.0.1:")
    assert server.url.endswith("/--/api/v2/push")
    port = server.port
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.post(f"http://127.0.0.1:{port}/--/api/v2/push/send", json=[], timeout=1)


def test_stop_is_quick_with_open_keep_alive_connections(http: requests.Session) -> None:
    server = ExpoServer().start()
    assert http.post(server.url + "/send", json=[{"to": A}], timeout=5).status_code == 200
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1


# -- send ---------------------------------------------------------------------------------------


def test_send_returns_one_ticket_per_recipient_in_order(expo: ExpoServer) -> None:
    response = send(
        expo,
        [
            {"to": A, "title": "one", "data": {"n": 1}},
            {"to": [B, "not-a-token", C], "body": "two"},
        ],
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    tickets = response.json()["data"]
    assert [t["status"] for t in tickets] == ["ok", "ok", "error", "ok"]
    assert len({t["id"] for t in tickets if t["status"] == "ok"}) == 3
    assert tickets[2] == {
        "status": "error",
        "message": '"not-a-token" is not a registered push notification recipient',
        "details": {"error": "DeviceNotRegistered", "expoPushToken": "not-a-token"},
    }
    assert expo.delivered == [
        {"to": A, "title": "one", "data": {"n": 1}},
        {"to": B, "body": "two"},
        {"to": C, "body": "two"},
    ]
    stats = expo.stats
    assert stats.send_requests == 1
    assert stats.max_batch == 4
    assert stats.responses_by_status == {200: 1}


def test_send_accepts_a_single_message_object(expo: ExpoServer) -> None:
    response = send(expo, {"to": A, "title": "hi"})
    assert response.status_code == 200
    assert [t["status"] for t in response.json()["data"]] == ["ok"]
    assert expo.delivered_count(A) == 1


def test_token_errors_give_error_tickets_and_are_not_delivered(expo: ExpoServer) -> None:
    expo.token_errors[B] = "InvalidCredentials"
    tickets = send(expo, [{"to": [A, B]}]).json()["data"]
    assert tickets[0]["status"] == "ok"
    assert tickets[1]["status"] == "error"
    assert "id" not in tickets[1]
    assert B in tickets[1]["message"]
    assert tickets[1]["details"] == {"error": "InvalidCredentials", "expoPushToken": B}
    assert expo.delivered_count(A) == 1
    assert expo.delivered_count(B) == 0


def test_gzip_request_bodies_are_accepted_and_counted(expo: ExpoServer) -> None:
    body = gzip.compress(json.dumps([{"to": A, "title": "zipped"}]).encode())
    response = requests.post(
        expo.url + "/send",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=5,
    )
    assert response.status_code == 200
    assert expo.delivered == [{"to": A, "title": "zipped"}]
    assert expo.stats.gzip_requests == 1


def test_chunked_request_bodies_are_accepted(expo: ExpoServer) -> None:
    chunks = iter([b'[{"to": "', A.encode(), b'"}]'])
    response = requests.post(expo.url + "/send", data=chunks, timeout=5)
    assert response.status_code == 200
    assert expo.delivered_count(A) == 1


def test_large_answers_are_gzipped_when_the_client_accepts_it(expo: ExpoServer) -> None:
    response = send(expo, [{"to": [A] * 50}])
    assert response.headers.get("Content-Encoding") == "gzip"
    assert len(response.json()["data"]) == 50  # requests decompresses transparently


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'[{"title": "no to"}]',
        b'[{"to": 3}]',
        b'["x"]',
        json.dumps([{"to": A, "data": 1}]).encode(),
    ],
)
def test_malformed_bodies_are_validation_errors(expo: ExpoServer, body: bytes) -> None:
    response = requests.post(expo.url + "/send", data=body, timeout=5)
    assert response.status_code == 400
    assert error_code(response) == "VALIDATION_ERROR"
    assert expo.delivered == []


def test_bad_gzip_is_a_validation_error(expo: ExpoServer) -> None:
    response = requests.post(
        expo.url + "/send", data=b"plain", headers={"Content-Encoding": "gzip"}, timeout=5
    )
    assert response.status_code == 400
    assert error_code(response) == "VALIDATION_ERROR"


def test_more_than_100_recipients_is_rejected_whole(expo: ExpoServer) -> None:
    assert send(expo, [{"to": [A] * 100}]).status_code == 200
    response = send(expo, [{"to": [A] * 60}, {"to": [B] * 41}])
    assert response.status_code == 400
    assert error_code(response) == "PUSH_TOO_MANY_NOTIFICATIONS"
    assert expo.delivered_count(A) == 100
    assert expo.delivered_count(B) == 0


def test_mixing_projects_is_rejected_with_details(expo: ExpoServer) -> None:
    expo.token_projects[B] = "@other/app"
    response = send(expo, [{"to": [A, B, C]}])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "PUSH_TOO_MANY_EXPERIENCE_IDS"
    assert error["details"] == {"@unitrade/app": [A, C], "@other/app": [B]}
    assert expo.delivered == []
    assert send(expo, [{"to": B}]).status_code == 200  # one project alone is fine


def test_unknown_paths_and_methods(expo: ExpoServer) -> None:
    response = requests.post(expo.url + "/nope", json=[], timeout=5)
    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"
    assert requests.get(expo.url + "/send", timeout=5).status_code == 405


# -- rate limit, latency, concurrency, keep-alive -------------------------------------------


def test_rate_limit_rejects_whole_requests_and_refills() -> None:
    with ExpoServer(rate_per_second=20, burst=10) as expo:
        assert send(expo, [{"to": [A] * 8}]).status_code == 200
        response = send(expo, [{"to": [B] * 5}])  # only ~2 tokens left
        assert response.status_code == 429
        assert response.json()["errors"][0] == {
            "code": "TOO_MANY_REQUESTS",
            "message": "Exceeded 20 notifications per second",
        }
        assert expo.delivered_count(B) == 0
        assert expo.stats.rate_limited == 1
        time.sleep(0.2)  # +4 tokens
        assert send(expo, [{"to": [B] * 5}]).status_code == 200
        assert expo.stats.responses_by_status == {200: 2, 429: 1}


def test_default_rate_is_600_per_second(expo: ExpoServer) -> None:
    statuses = [send(expo, [{"to": [A] * 100}]).status_code for _ in range(7)]
    assert statuses[:6] == [200] * 6
    assert statuses[6] == 429
    assert error_code(send(expo, [{"to": [A] * 100}])) == "TOO_MANY_REQUESTS"


def test_unlimited_rate() -> None:
    with ExpoServer(rate_per_second=None, burst=1) as expo:
        for _ in range(3):
            assert send(expo, [{"to": [A] * 100}]).status_code == 200
        assert expo.stats.rate_limited == 0


def test_rate_is_checked_on_arrival_not_after_latency() -> None:
    with ExpoServer(rate_per_second=1, burst=1, latency=0.3) as expo:
        results: list[int] = []

        def post() -> None:
            results.append(send(expo, [{"to": A}]).status_code)

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [200, 429]


def test_latency_delays_answers(expo: ExpoServer) -> None:
    expo.latency = 0.2
    started = time.monotonic()
    assert send(expo, [{"to": A}]).status_code == 200
    assert time.monotonic() - started >= 0.2
    assert expo.delivered_count(A) == 1


def test_max_concurrent_counts_simultaneous_requests(expo: ExpoServer) -> None:
    expo.latency = 0.3
    threads = [threading.Thread(target=send, args=(expo, [{"to": A}])) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert expo.stats.max_concurrent == 5
    assert expo.delivered_count(A) == 5


def test_sequential_requests_on_new_connections_are_not_concurrent(expo: ExpoServer) -> None:
    for _ in range(20):
        send(expo, [{"to": A}])  # a new connection each time, so a new handler thread
    assert expo.stats.max_concurrent == 1
    assert expo.stats.connections == 20


def test_session_reuses_one_keep_alive_connection(expo: ExpoServer, http: requests.Session) -> None:
    for _ in range(5):
        response = http.post(expo.url + "/send", json=[{"to": A}], timeout=5)
        assert response.status_code == 200
    response = http.post(expo.url + "/send", data=b"{bad", timeout=5)  # errors keep it too
    assert response.status_code == 400
    assert expo.stats.connections == 1


def test_answers_are_fast_without_latency(expo: ExpoServer, http: requests.Session) -> None:
    http.post(expo.url + "/send", json=[{"to": A}], timeout=5)
    started = time.monotonic()
    for _ in range(20):
        http.post(expo.url + "/send", json=[{"to": A}], timeout=5)
    assert (time.monotonic() - started) / 20 < 0.02  # no Nagle/delayed-ACK stalls


# -- access token -------------------------------------------------------------------------------


def test_access_token_is_required_on_both_endpoints() -> None:
    with ExpoServer(access_token="s3cret") as expo:
        for response in (
            send(expo, [{"to": A}]),
            send(expo, [{"to": A}], headers={"Authorization": "Bearer wrong"}),
            receipts(expo, []),
        ):
            assert response.status_code == 401
            assert error_code(response) == "UNAUTHORIZED"
        assert expo.delivered == []
        auth = {"Authorization": "Bearer s3cret"}
        ticket = send(expo, [{"to": A}], headers=auth).json()["data"][0]
        assert receipts(expo, [ticket["id"]], headers=auth).json()["data"] == {
            ticket["id"]: {"status": "ok"}
        }
        expo.access_token = None
        assert send(expo, [{"to": A}]).status_code == 200


# -- faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        (HTTP_500, 500, "application/json"),
        (GATEWAY_HTML, 502, "text/html"),
        (GATEWAY_TEXT, 503, "text/plain"),
        (NON_JSON, 200, "text/plain"),
        (TOO_MANY_REQUESTS, 429, "application/json"),
    ],
)
def test_answered_faults(expo: ExpoServer, kind: str, status: int, content_type: str) -> None:
    expo.fail_next(kind)
    response = send(expo, [{"to": A}])
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    if kind == HTTP_500:
        assert error_code(response) == "INTERNAL_SERVER_ERROR"
    elif kind == TOO_MANY_REQUESTS:
        assert error_code(response) == "TOO_MANY_REQUESTS"
    elif kind == GATEWAY_HTML:
        assert response.text.startswith("<html>")
    elif kind == NON_JSON:
        assert response.text == "not json"
    assert expo.delivered == []
    assert expo.stats.faults_injected == {kind: 1}
    assert send(expo, [{"to": A}]).status_code == 200  # the fault is used up
    assert expo.delivered_count(A) == 1


def test_wrong_ticket_count_fault(expo: ExpoServer) -> None:
    expo.fail_next(WRONG_TICKET_COUNT)
    response = send(expo, [{"to": [A, B, C]}])
    assert response.status_code == 200
    assert len(response.json()["data"]) == 2
    assert expo.delivered == []


def test_timeout_fault_leaves_the_request_unanswered(expo: ExpoServer) -> None:
    expo.fail_next(TIMEOUT, 2)
    with pytest.raises(requests.ReadTimeout):
        requests.post(expo.url + "/send", json=[{"to": A}], timeout=0.2)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):  # a patient client sees it hang up
        requests.post(expo.url + "/send", json=[{"to": A}], timeout=5)
    assert 0.4 < time.monotonic() - started < 2
    assert expo.delivered_count(A) == 0
    assert expo.stats.faults_injected == {TIMEOUT: 2}
    assert send(expo, [{"to": A}]).status_code == 200


def test_reset_fault_resets_the_connection(expo: ExpoServer, http: requests.Session) -> None:
    expo.fail_next(RESET)
    with pytest.raises(requests.ConnectionError) as caught:
        http.post(expo.url + "/send", json=[{"to": A}], timeout=5)
    assert "reset" in str(caught.value).lower()
    assert expo.delivered == []
    assert http.post(expo.url + "/send", json=[{"to": A}], timeout=5).status_code == 200
    assert expo.delivered_count(A) == 1


def test_fail_next_counts_and_order(expo: ExpoServer) -> None:
    expo.fail_next(HTTP_500, 2)
    expo.fail_next(GATEWAY_TEXT)
    statuses = [send(expo, [{"to": A}]).status_code for _ in range(4)]
    assert statuses == [500, 500, 503, 200]
    assert expo.delivered_count(A) == 1
    assert expo.stats.faults_injected == {HTTP_500: 2, GATEWAY_TEXT: 1}


def test_faults_do_not_apply_to_receipts(expo: ExpoServer) -> None:
    expo.fail_next(HTTP_500)
    assert receipts(expo, []).status_code == 200
    assert send(expo, [{"to": A}]).status_code == 500


def test_fault_kinds_are_validated(expo: ExpoServer) -> None:
    assert len(ALL_FAULTS) == 8
    with pytest.raises(ValueError, match="unknown fault"):
        expo.fail_next("explode")
    with pytest.raises(ValueError, match="unknown fault"):
        expo.set_fault_rate(0.5, ["explode"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        expo.set_fault_rate(1.5)


def _fault_run(seed: int) -> list[int]:
    with ExpoServer(seed=seed) as expo, requests.Session() as http:
        expo.set_fault_rate(0.5, [HTTP_500, GATEWAY_HTML, NON_JSON])
        statuses = [
            http.post(expo.url + "/send", json=[{"to": A}], timeout=5).status_code
            for _ in range(30)
        ]
        assert expo.delivered_count(A) == statuses.count(200) - expo.stats.faults_injected.get(
            NON_JSON, 0
        )
        return statuses


def test_fault_rate_is_seeded_and_reproducible() -> None:
    first = _fault_run(seed=7)
    assert first == _fault_run(seed=7)
    assert {500, 502, 200} <= set(first)
    assert first != _fault_run(seed=8)


def test_fault_rate_one_fails_everything_and_zero_nothing(expo: ExpoServer) -> None:
    expo.set_fault_rate(1.0, [GATEWAY_TEXT])
    assert [send(expo, [{"to": A}]).status_code for _ in range(3)] == [503] * 3
    expo.set_fault_rate(0.0)
    assert send(expo, [{"to": A}]).status_code == 200


# -- receipts -----------------------------------------------------------------------------------


def test_receipts_ok_error_too_big_and_unknown(expo: ExpoServer) -> None:
    expo.receipt_errors[B] = "MessageRateExceeded"
    big = {"blob": "x" * 5000}
    tickets = send(expo, [{"to": [A, B]}, {"to": C, "data": big}]).json()["data"]
    assert [t["status"] for t in tickets] == ["ok", "ok", "ok"]
    ids = [t["id"] for t in tickets]
    response = receipts(expo, [*ids, "unknown-id"])
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == set(ids)
    assert data[ids[0]] == {"status": "ok"}
    assert data[ids[1]]["status"] == "error"
    assert data[ids[1]]["details"] == {"error": "MessageRateExceeded"}
    assert data[ids[2]]["details"] == {"error": "MessageTooBig"}
    assert isinstance(data[ids[2]]["message"], str)
    assert expo.stats.receipt_requests == 1


def test_receipts_wait_for_receipt_delay() -> None:
    with ExpoServer(receipt_delay=0.3) as expo:
        ticket_id = send(expo, [{"to": A}]).json()["data"][0]["id"]
        assert receipts(expo, [ticket_id]).json() == {"data": {}}
        time.sleep(0.35)
        assert receipts(expo, [ticket_id]).json() == {"data": {ticket_id: {"status": "ok"}}}


def test_receipts_limits_and_validation(expo: ExpoServer) -> None:
    assert receipts(expo, ["x"] * 1000).status_code == 200
    response = receipts(expo, ["x"] * 1001)
    assert response.status_code == 400
    assert error_code(response) == "PUSH_TOO_MANY_RECEIPTS"
    response = requests.post(expo.url + "/getReceipts", json={"ids": "x"}, timeout=5)
    assert error_code(response) == "VALIDATION_ERROR"
    body = gzip.compress(json.dumps({"ids": []}).encode())
    response = requests.post(
        expo.url + "/getReceipts", data=body, headers={"Content-Encoding": "gzip"}, timeout=5
    )
    assert response.json() == {"data": {}}


# -- observation and reset ----------------------------------------------------------------------


def test_duplicates_detects_the_same_notification_twice(expo: ExpoServer) -> None:
    send(expo, [{"to": A, "data": {"id": 1}}, {"to": A, "data": {"id": 2}}])
    send(expo, [{"to": A, "data": {"id": 1}}, {"to": B, "data": {"id": 1}}])
    assert expo.duplicates() == {(A, json.dumps({"id": 1})): 2}
    assert expo.delivered_count(A) == 3


def test_reset_clears_state_but_keeps_the_port(expo: ExpoServer) -> None:
    url = expo.url
    expo.token_errors[A] = "DeviceNotRegistered"
    expo.receipt_errors[B] = "MessageRateExceeded"
    expo.token_projects[C] = "@other/app"
    ticket_id = send(expo, [{"to": B}]).json()["data"][0]["id"]
    expo.fail_next(HTTP_500, 3)
    expo.set_fault_rate(1.0)
    expo.reset()
    assert expo.url == url
    assert expo.delivered == []
    assert expo.stats.send_requests == 0
    assert expo.token_errors == expo.receipt_errors == expo.token_projects == {}
    assert receipts(expo, [ticket_id]).json() == {"data": {}}
    assert send(expo, [{"to": [A, B, C]}]).status_code == 200
    assert expo.delivered_count(A) == 1


def test_connection_count_sees_new_connections(expo: ExpoServer) -> None:
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", expo.port)):
            pass
    deadline = time.monotonic() + 2
    while expo.stats.connections < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert expo.stats.connections == 3


# -- taking Expo away and bringing it back --------------------------------------------------------


def test_stop_then_start_serves_again_on_the_same_port(http: requests.Session) -> None:
    server = ExpoServer().start()
    try:
        port, url = server.port, server.url
        assert http.post(url + "/send", json=[{"to": A}], timeout=5).status_code == 200
        server.stop()
        assert not server.running
        assert server.port == port
        with pytest.raises(requests.ConnectionError):
            requests.post(url + "/send", json=[{"to": A}], timeout=1)
        assert server.start() is server
        assert server.running
        assert (server.port, server.url) == (port, url)
        assert http.post(url + "/send", json=[{"to": A}], timeout=5).status_code == 200
        assert server.delivered_count(A) == 2  # what it accepted before is kept
    finally:
        server.stop()


def test_a_server_never_started_has_no_port() -> None:
    with pytest.raises(RuntimeError):
        _ = ExpoServer().port


# -- the tarpit: a service that never answers -----------------------------------------------------


def test_a_tarpit_accepts_connections_and_never_answers_as_expo() -> None:
    with Tarpit() as tarpit:
        assert tarpit.url == f"http://127.0.0.1:{tarpit.port}/--/api/v2/push"
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):  # connected, then no answer
            requests.post(tarpit.url + "/send", json=[{"to": A}], timeout=(1, 0.3))
        assert time.monotonic() - started < 1
        assert tarpit.connections == 1


def test_a_tarpit_hangs_a_redis_client() -> None:
    import redis

    with Tarpit() as tarpit:
        assert tarpit.redis_url == f"redis://127.0.0.1:{tarpit.port}/0"
        client = redis.Redis.from_url(
            tarpit.redis_url, socket_connect_timeout=1, socket_timeout=0.3
        )
        with pytest.raises(redis.exceptions.TimeoutError):
            client.ping()
        client.close()


def test_a_stopped_tarpit_refuses_connections() -> None:
    tarpit = Tarpit().start()
    held = socket.create_connection(("127.0.0.1", tarpit.port), timeout=1)
    tarpit.stop()
    tarpit.stop()  # idempotent
    assert held.recv(1) == b""  # the held connection is closed, not answered
    held.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", tarpit.port), timeout=1)
