"""Fixtures shared by every test: users, API clients, the loopback Expo server.

Only fixtures and hooks live here; the code they use is in tests/support/.
"""

import os

import pytest
from django.test import Client

import push
from tests.support.api import bearer_client
from tests.support.expo import ExpoServer
from tests.support.marketplace import buyer, order, product, seller  # noqa: F401  (fixtures)
from tests.support.openapi import checking_answers
from tests.support.services import redis_running

# pytester runs a host project's tests in a pytest of their own (tests/push/test_testing_kit.py).
pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Password hashing is deliberately slow; tests create users, not defend against attacks."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password="pw-alice-123", first_name="Alice"
    )


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(
        username="bob", email="bob@example.com", password="pw-bob-123", first_name="Bob"
    )


@pytest.fixture
def api(user) -> Client:
    return bearer_client(user)


@pytest.fixture
def other_api(other_user) -> Client:
    return bearer_client(other_user)


@pytest.fixture(scope="session")
def _expo_server():
    with ExpoServer(rate_per_second=None, timeout_seconds=1.0) as server:
        yield server


@pytest.fixture(autouse=True)
def expo(_expo_server, settings):
    """The loopback Expo server every test sends to, clean, with fast retries and timeouts."""
    _expo_server.reset()
    _expo_server.rate_per_second = None
    _expo_server.burst = 600
    _expo_server.latency = 0.0
    _expo_server.receipt_delay = 0.0
    _expo_server.access_token = None
    site = settings.PUSH_NOTIFICATIONS
    settings.PUSH_NOTIFICATIONS = {
        # The API authenticates as the site does (bearer tokens, then the session), and
        # its test endpoint sends the site's words.
        "AUTHENTICATION": site["AUTHENTICATION"],
        "TEST_NOTIFICATION": site["TEST_NOTIFICATION"],
        # Most tests assert what a delivery did right after it: synchronous delivery. The
        # background mode's tests ask for it (tests/push/delivery/test_background.py).
        "DELIVERY": "inline",
        "EXPO_BASE_URL": _expo_server.url,
        "RETRY_BACKOFF_SECONDS": 0.01,
        "RETRY_BACKOFF_MAX_SECONDS": 0.05,
        "READ_TIMEOUT": 0.5,
        "CONNECT_TIMEOUT": 0.5,
        "RATE_LIMIT_PER_SECOND": None,
    }
    push.outbox.clear()
    return _expo_server


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the on-commit callbacks of the block, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def pytest_collection_modifyitems(config, items):
    """Skip Celery tests without Redis, unless PUSH_TEST_REQUIRE_SERVICES says it must be up."""
    if redis_running() or os.environ.get("PUSH_TEST_REQUIRE_SERVICES"):
        return
    skip = pytest.mark.skip(reason="Redis is not running on 127.0.0.1:6379")
    for item in items:
        if "celery" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _answers_keep_the_contract():
    """Every answer of push's API a test sees is held to the OpenAPI document."""
    with checking_answers():
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
