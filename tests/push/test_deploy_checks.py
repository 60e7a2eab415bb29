"""`manage.py check --deploy` warns about development conveniences; the test endpoint switch."""

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from push import checks
from tests.support.api import REGISTER, TEST, VALID_TOKEN
from tests.support.settings import push_settings_update

PRODUCTION_KEY = "p" * 60
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "django.core.cache.backends.redis.RedisCache"


@pytest.fixture
def production(settings):
    """Settings that pass every push deploy check; tests then break one thing each."""
    settings.DEBUG = False
    settings.SECRET_KEY = PRODUCTION_KEY
    settings.CACHES = {"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1/0"}}
    push_settings_update(
        settings,
        TEST_ENDPOINT_ENABLED=False,
        EXPO_BASE_URL="https://exp.host/--/api/v2/push",
    )
    return settings


def push_warnings():
    return [m for m in run_checks(include_deployment_checks=True) if m.id.startswith("push.")]


def ids(messages):
    return sorted(message.id for message in messages)


def test_production_settings_pass(production):
    assert push_warnings() == []


def test_deploy_checks_run_only_with_deploy(settings):
    settings.DEBUG = True
    assert not [m for m in run_checks() if m.id.startswith("push.W")]


def test_test_endpoint_enabled(production):
    push_settings_update(production, TEST_ENDPOINT_ENABLED=True)
    [warning] = push_warnings()
    assert warning.id == checks.W001_TEST_ENDPOINT_ENABLED == "push.W001"
    assert warning.msg == checks.W001_MESSAGE


@pytest.mark.parametrize(
    "transport",
    ["push.transports.console.ConsoleTransport", "push.transports.locmem.LocmemTransport"],
)
def test_development_transport(production, transport):
    push_settings_update(production, TRANSPORT=transport)
    [warning] = push_warnings()
    assert warning.id == checks.W002_DEVELOPMENT_TRANSPORT == "push.W002"
    assert warning.msg == checks.W002_MESSAGE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DEBUG": True}, checks.W003_DEBUG),
        ({"SECRET_KEY": "django-insecure-" + "x" * 50}, checks.W003_SECRET_KEY),
    ],
)
def test_debug_only_settings(production, change, message):
    for name, value in change.items():
        setattr(production, name, value)
    [warning] = push_warnings()
    assert warning.id == checks.W003_DEVELOPMENT_SETTING == "push.W003"
    assert warning.msg == message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8123", "http://localhost/--/api/v2/push"])
def test_loopback_expo(production, url):
    push_settings_update(production, EXPO_BASE_URL=url)
    [warning] = push_warnings()
    assert (warning.id, warning.msg) == (checks.W003_DEVELOPMENT_SETTING, checks.W003_LOOPBACK_EXPO)


def test_process_local_cache(production):
    production.CACHES = {"default": {"BACKEND": LOCMEM}}
    [warning] = push_warnings()
    assert warning.id == checks.W004_LOCAL_CACHE == "push.W004"
    assert warning.msg == checks.W004_MESSAGE.format(backend=LOCMEM)


@pytest.mark.parametrize("mode", ["inline", "celery"])
def test_processes_without_a_shared_rate_limit_in_every_mode(production, mode):
    push_settings_update(production, DELIVERY=mode, RATE_LIMIT_PER_SECOND=600)
    [warning] = push_warnings()
    assert (warning.id, warning.msg) == (checks.W005_UNSHARED_RATE_LIMIT, checks.W005_MESSAGE)
    push_settings_update(production, RATE_LIMIT_REDIS_URL="redis://127.0.0.1:6379/0")
    assert push_warnings() == []


def test_the_development_defaults_warn_about_everything(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = "django-insecure-unitrade-development-key-do-not-use-in-production"
    settings.CACHES = {"default": {"BACKEND": LOCMEM}}
    push_settings_update(settings, TRANSPORT="push.transports.console.ConsoleTransport")
    assert ids(push_warnings()) == [
        "push.W001",
        "push.W002",
        "push.W003",
        "push.W003",
        "push.W003",  # DEBUG, the key, and the tests' loopback Expo server
        "push.W004",
    ]


def test_check_deploy_fails_at_warning_level(settings):
    settings.DEBUG = True
    with pytest.raises(SystemCheckError, match=r"push\.W003"):
        call_command("check", deploy=True, fail_level="WARNING")


@pytest.mark.parametrize("cap", [0, -1, 2.5, "20", True])
def test_invalid_hourly_cap_is_an_error(settings, cap):
    push_settings_update(settings, MAX_NOTIFICATIONS_PER_HOUR=cap)
    with pytest.raises(SystemCheckError, match=checks.E006_INVALID_HOURLY_CAP):
        call_command("check")


@pytest.mark.django_db
def test_a_disabled_test_endpoint_is_not_found(api, user, settings):
    settings.DEBUG = True
    user.is_staff = True
    user.save()
    api.post(REGISTER, {"token": VALID_TOKEN}, content_type="application/json")
    push_settings_update(settings, TEST_ENDPOINT_ENABLED=False)
    response = api.generic("POST", TEST)
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}
