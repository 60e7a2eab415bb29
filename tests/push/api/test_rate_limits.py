"""Request limits of the API: per user per scope, per IP before authentication."""

import logging
import shutil
import socket
import subprocess
import time

import django_ratelimit.core
import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from push.api.throttling import client_ip, invalid_rates, rates
from push.checks import E005_INVALID_RATE_LIMIT
from push.models import NotificationPreference
from tests.support.api import PREFERENCES, REGISTER, REMOVE, TEST, VALID_TOKEN, bearer_client
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db


def register(client):
    return client.post(REGISTER, {"token": VALID_TOKEN}, content_type="application/json")


def assert_429(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is False
    assert body["message"].startswith("Too many requests: try again in ")
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    assert f"in {seconds} seconds" in body["message"]


class FakeTime:
    """Stands in for the `time` module inside django-ratelimit: its windows follow `now`."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def window_clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(django_ratelimit.core, "time", fake)
    return fake


def test_defaults():
    assert rates() == {
        "tokens": "30/m",
        "preferences": "30/m",
        "test": "5/m",
        "anonymous": "60/m",
        "inbox": "60/m",
    }


def test_30_token_requests_a_minute_per_user(api, other_api, window_clock):
    for _ in range(15):
        assert register(api).status_code == 200
        assert api.post(REMOVE, {"token": VALID_TOKEN}, "application/json").status_code == 200
    assert_429(register(api))
    assert_429(api.post(REMOVE, {"token": VALID_TOKEN}, "application/json"))
    # Another user, and another scope of the same user, have their own budgets.
    assert register(other_api).status_code == 200
    assert api.get(PREFERENCES).status_code == 200
    # The next window starts afresh.
    window_clock.now += 61
    assert register(api).status_code == 200


def test_429_says_when_to_come_back(api, window_clock, settings):
    push_settings_update(settings, API_RATE_LIMITS={"tokens": "1/m"})
    assert register(api).status_code == 200
    response = register(api)
    assert_429(response)
    wait = int(response.headers["Retry-After"])
    window_clock.now += wait - 1
    assert register(api).status_code == 429
    window_clock.now += 1
    assert register(api).status_code == 200


def test_30_preference_requests_a_minute(api):
    for n in range(30):
        body = {"preferences": {"message": bool(n % 2)}}
        assert api.patch(PREFERENCES, body, "application/json").status_code == 200
    assert_429(api.get(PREFERENCES))
    response = api.patch(PREFERENCES, {"preferences": {"review": False}}, "application/json")
    assert_429(response)
    # The refused change was not applied.
    assert "review" not in NotificationPreference.objects.get().disabled_types


def test_5_test_notifications_a_minute(api, user, settings):
    settings.DEBUG = True
    for _ in range(5):
        assert api.generic("POST", TEST).status_code == 200
    assert_429(api.generic("POST", TEST))
    assert register(api).status_code == 200  # the token scope is untouched


def test_60_anonymous_requests_a_minute_per_ip_before_authentication(client):
    for n in range(60):
        assert client.generic("POST", PREFERENCES if n % 2 else REGISTER).status_code == 401
    assert_429(client.get(PREFERENCES))
    assert_429(client.post(REGISTER, {}, "application/json"))
    # Guessing tokens counts against the same budget: a forged one is still anonymous.
    forged = Client(HTTP_AUTHORIZATION="Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged")
    assert_429(forged.post(REGISTER, {}, "application/json"))
    # Another address is not affected.
    assert client.get(PREFERENCES, REMOTE_ADDR="10.1.2.3").status_code == 401


def test_an_authenticated_user_is_not_limited_by_their_ip(client, api):
    for _ in range(60):
        client.get(PREFERENCES)
    assert_429(client.get(PREFERENCES))
    assert api.get(PREFERENCES).status_code == 200  # same 127.0.0.1, but a user


def test_limits_are_configurable_and_can_be_turned_off(api, settings):
    push_settings_update(settings, API_RATE_LIMITS={"tokens": "2/10s", "preferences": None})
    assert rates()["tokens"] == "2/10s"
    assert rates()["test"] == "5/m"  # the others keep their defaults
    assert [register(api).status_code for _ in range(3)] == [200, 200, 429]
    assert {api.get(PREFERENCES).status_code for _ in range(100)} == {200}


def test_a_failing_cache_lets_requests_through_and_says_so(api, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["default"], "add", broken)
    with caplog.at_level(logging.WARNING, logger="push.api.throttling"):
        assert register(api).status_code == 200
    assert "API rate limit not checked, the cache failed: ConnectionError" in caplog.text


def _request(**meta):
    from django.test import RequestFactory

    return RequestFactory().get("/", **meta)


def test_client_ip(settings):
    assert client_ip(_request(REMOTE_ADDR="203.0.113.7")) == "203.0.113.7"
    # One IPv6 client owns a /64: it counts as one.
    v6 = client_ip(_request(REMOTE_ADDR="2001:db8:1:2:aaaa::1"))
    assert v6 == client_ip(_request(REMOTE_ADDR="2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert client_ip(_request(REMOTE_ADDR="")) == "unknown"
    # A proxy's header, when configured; garbage in it falls back to the peer's address.
    push_settings_update(settings, CLIENT_IP_HEADER="HTTP_X_REAL_IP")
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="198.51.100.4")) == (
        "198.51.100.4"
    )
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="1.2.3.4, 5.6.7.8")) == (
        "10.0.0.1"
    )
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="\x00<script>")) == (
        "10.0.0.1"
    )


def test_behind_a_proxy_each_client_has_its_own_budget(client, settings):
    push_settings_update(
        settings, CLIENT_IP_HEADER="HTTP_X_REAL_IP", API_RATE_LIMITS={"anonymous": "2/m"}
    )
    first = {"HTTP_X_REAL_IP": "198.51.100.1"}
    second = {"HTTP_X_REAL_IP": "198.51.100.2"}
    assert [client.get(PREFERENCES, **first).status_code for _ in range(3)] == [401, 401, 429]
    assert client.get(PREFERENCES, **second).status_code == 401


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"tokens": "30 per minute"}, "API_RATE_LIMITS['tokens'] is '30 per minute'."),
        ({"tokens": "0/m"}, "API_RATE_LIMITS['tokens'] is '0/m'."),
        ({"test": 5}, "API_RATE_LIMITS['test'] is 5."),
        ({"token": "30/m"}, "Unknown API_RATE_LIMITS scope(s): token."),
        ("30/m", "API_RATE_LIMITS must be a dict of scope: rate."),
    ],
)
def test_invalid_rates_fail_the_system_check(settings, value, problem):
    push_settings_update(settings, API_RATE_LIMITS=value)
    assert problem in invalid_rates()
    with pytest.raises(SystemCheckError, match=E005_INVALID_RATE_LIMIT):
        call_command("check")


@pytest.fixture
def redis_url(tmp_path):
    """A private redis-server on a free loopback port, if this machine has one."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    pytest.importorskip("redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_limits_are_shared_through_redis(redis_url, user, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
    }
    push_settings_update(settings, API_RATE_LIMITS={"tokens": "3/m"})
    # Two clients of one user stand for two app servers sharing the Redis counter.
    first, second = bearer_client(user), bearer_client(user)
    statuses = [register(client).status_code for client in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]
