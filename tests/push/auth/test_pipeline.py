"""PUSH_NOTIFICATIONS["AUTHENTICATION"]: order, precedence, CSRF by kind, host callables, checks."""

import json

import pytest
from django.core.checks import run_checks
from django.test import Client

from push.auth.access_tokens import issue_access_token
from push.auth.pipeline import load
from push.checks import E011_INVALID_AUTHENTICATION
from push.conf import DEFAULTS
from tests.support.api import (
    PREFERENCES,
    VALID_TOKEN,
    give_csrf_cookie,
    register_token,
)
from tests.support.auth import API_KEY_HEADER, REMEMBER_ME_COOKIE
from tests.support.processes import run_site_python
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

BEARER = "push.auth.simplejwt_bearer"
SESSION = "push.auth.session"
API_KEY = "tests.support.auth.api_key_user"
REMEMBER_ME = "tests.support.auth.remember_me_cookie"
HEADER = f"HTTP_{API_KEY_HEADER.upper().replace('-', '_')}"


def authenticate_with(settings, *paths: str) -> None:
    push_settings_update(settings, AUTHENTICATION=list(paths))


def owner_of_the_token():
    from push.models import PushToken

    return PushToken.objects.get(token=VALID_TOKEN).user


def test_the_default_is_the_session_alone():
    assert DEFAULTS["AUTHENTICATION"] == ["push.auth.session"]


# -- order ------------------------------------------------------------------------------


@pytest.mark.parametrize("api_key_first", [True, False])
def test_the_first_authenticator_that_accepts_wins(settings, user, other_user, api_key_first):
    paths = [API_KEY, BEARER] if api_key_first else [BEARER, API_KEY]
    authenticate_with(settings, *paths)
    client = Client(
        enforce_csrf_checks=True,
        HTTP_AUTHORIZATION=f"Bearer {issue_access_token(other_user)}",
        **{HEADER: "key-alice"},
    )
    assert register_token(client).status_code == 200
    assert owner_of_the_token() == (user if api_key_first else other_user)


def test_a_rejection_ends_the_search(settings, other_user):
    """A bad API key is a 401 even though a later authenticator would take the request."""
    authenticate_with(settings, API_KEY, BEARER)
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {issue_access_token(other_user)}", **{HEADER: "key-nobody"}
    )
    response = register_token(client)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"  # the first challenge configured


@pytest.mark.parametrize("session_first", [True, False])
def test_a_session_and_a_header_in_either_order(settings, user, other_user, session_first):
    authenticate_with(settings, *([SESSION, API_KEY] if session_first else [API_KEY, SESSION]))
    browser = Client(enforce_csrf_checks=True, **{HEADER: "key-bob"})
    browser.force_login(user)
    response = register_token(browser)
    if session_first:
        assert response.status_code == 403  # alice's session: CSRF applies, and fails
        assert response.json()["message"] == "CSRF check failed: CSRF cookie not set."
    else:
        assert response.status_code == 200  # bob's key: no CSRF
        assert owner_of_the_token() == other_user


def test_an_anonymous_user_from_a_callable_counts_as_nobody(settings, user):
    authenticate_with(settings, "tests.support.auth.anonymous_user", SESSION)
    browser = Client()
    browser.force_login(user)
    assert browser.get(PREFERENCES).status_code == 200


# -- CSRF by kind, and the Authorization header --------------------------------------------


def test_a_host_callable_is_header_based_no_csrf(settings, user):
    authenticate_with(settings, API_KEY, SESSION)
    response = register_token(Client(enforce_csrf_checks=True, **{HEADER: "key-alice"}))
    assert response.status_code == 200, response.content
    assert owner_of_the_token() == user


def test_a_host_callable_marked_uses_cookies_must_pass_csrf(settings, user):
    authenticate_with(settings, REMEMBER_ME)
    browser = Client(enforce_csrf_checks=True)
    browser.cookies[REMEMBER_ME_COOKIE] = "key-alice"
    assert register_token(browser).status_code == 403
    assert register_token(browser, HTTP_X_CSRFTOKEN=give_csrf_cookie(browser)).status_code == 200
    assert browser.get(PREFERENCES).status_code == 200  # safe methods need no token


def test_a_header_authenticated_request_is_never_csrf_checked_even_with_cookies(settings, user):
    """Bearer decided before CSRF: a session cookie alongside does not bring CSRF back."""
    authenticate_with(settings, BEARER, SESSION)
    client = Client(
        enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {issue_access_token(user)}"
    )
    client.force_login(user)
    give_csrf_cookie(client)
    assert register_token(client).status_code == 200


@pytest.mark.parametrize("header", ["Token abc", "Bearer forged"])
@pytest.mark.parametrize("authenticators", [[BEARER, SESSION], [SESSION, BEARER], [SESSION]])
def test_an_authorization_header_nobody_accepts_never_falls_back_to_cookies(
    settings, user, authenticators, header
):
    authenticate_with(settings, *authenticators, REMEMBER_ME)
    browser = Client(HTTP_AUTHORIZATION=header)
    browser.force_login(user)
    browser.cookies[REMEMBER_ME_COOKIE] = "key-alice"
    response = browser.get(PREFERENCES)
    assert response.status_code == 401
    assert response.json()["message"] == (
        "Authentication credentials were not provided or are invalid."
    )


def test_the_order_of_checks_401_before_csrf(settings):
    authenticate_with(settings, BEARER, SESSION)
    response = register_token(Client(enforce_csrf_checks=True))
    assert response.status_code == 401


def test_the_order_of_checks_405_and_the_user_limit_before_csrf(settings, user):
    authenticate_with(settings, SESSION)
    push_settings_update(settings, API_RATE_LIMITS={"preferences": "1/m"})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.delete(PREFERENCES).status_code == 405
    assert browser.patch(PREFERENCES, {}, "application/json").status_code == 403
    assert browser.patch(PREFERENCES, {}, "application/json").status_code == 429


# -- the setting, imported once, checked ---------------------------------------------------


def test_each_path_is_imported_once():
    from push.auth.django_session import session

    assert load(SESSION) is load(SESSION) is session


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (["no.such.module.thing"], "names 'no.such.module.thing', which cannot be imported"),
        (["push.auth.no_such_authenticator"], "which cannot be imported"),
        (["tests.support.auth.NOT_CALLABLE"], "which is not callable"),
        ("push.auth.session", "must be a non-empty list of dotted paths"),
        ([], "must be a non-empty list of dotted paths"),
        ([SESSION, 42], "must be a non-empty list of dotted paths"),
    ],
)
def test_a_bad_setting_fails_the_system_check(settings, value, problem):
    push_settings_update(settings, AUTHENTICATION=value)
    errors = [m for m in run_checks() if m.id == E011_INVALID_AUTHENTICATION]
    assert len(errors) == 1
    assert problem in errors[0].msg
    assert "PUSH_NOTIFICATIONS['AUTHENTICATION']" in errors[0].msg
    assert "dotted paths of callables" in errors[0].hint


def test_the_sites_setting_passes_the_system_check():
    assert [m for m in run_checks() if m.id.startswith("push.E")] == []


def test_a_bad_setting_at_request_time_is_a_json_500(settings, caplog):
    authenticate_with(settings, "no.such.module.thing")
    response = Client(raise_request_exception=False).get(PREFERENCES)
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "Internal server error."}
    assert "cannot be imported" in caplog.text


WITHOUT_OPTIONAL_PACKAGES = """
import json, sys
sys.modules["jwt"] = None  # as if PyJWT were not installed
sys.modules["rest_framework"] = None  # nor Django REST framework
import push, push.auth  # never needs them
import django
django.setup()
from django.conf import settings
from django.core.checks import run_checks
from push.exceptions import PushConfigurationError

settings.PUSH_NOTIFICATIONS = {
    "AUTHENTICATION": ["push.auth.simplejwt_bearer", "push.auth.rest_framework"],
}
found = {"checks": [m.msg for m in run_checks() if m.id == "push.E011"], "errors": []}
for name in ("simplejwt_bearer", "rest_framework"):
    try:
        getattr(push.auth, name)
    except PushConfigurationError as exc:
        found["errors"].append(str(exc))
print(json.dumps(found))
"""


def test_without_pyjwt_or_drf_push_imports_and_the_check_names_what_to_install():
    result = run_site_python(WITHOUT_OPTIONAL_PACKAGES)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    jwt_missing, drf_missing = found["errors"]
    assert "push.auth.simplejwt_bearer needs PyJWT" in jwt_missing
    assert "pip install 'django-expo-push[jwt]'" in jwt_missing
    assert "push.auth.rest_framework needs Django REST framework" in drf_missing
    assert "pip install 'django-expo-push[drf]'" in drf_missing
    assert found["checks"] == [jwt_missing, drf_missing]
