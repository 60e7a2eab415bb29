"""push.auth.rest_framework: the host's DRF authentication classes, DRF's CSRF rule kept.

REST_FRAMEWORK is set per test; DRF reloads its settings when it changes.
"""

import json

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from push.auth.access_tokens import issue_access_token
from tests.support import drf_auth
from tests.support.api import (
    PREFERENCES,
    VALID_TOKEN,
    browser_of,
    give_csrf_cookie,
    register_token,
)
from tests.support.processes import run_site_python
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

JWT = "rest_framework_simplejwt.authentication.JWTAuthentication"
KEY = "tests.support.drf_auth.KeyAuthentication"
SESSION = "rest_framework.authentication.SessionAuthentication"
COUNTING_SESSION = "tests.support.drf_auth.CountingSessionAuthentication"
EXEMPT_SESSION = "tests.support.drf_auth.CsrfExemptSessionAuthentication"


@pytest.fixture
def drf(settings):
    """`drf(*classes)`: push authenticates with DRF, whose classes are these."""
    push_settings_update(settings, AUTHENTICATION=["push.auth.rest_framework"])

    def configure(*classes: str) -> None:
        settings.REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": list(classes)}

    return configure


# -- simplejwt's JWTAuthentication ------------------------------------------------------


def test_a_simplejwt_access_token_authenticates_without_csrf(drf, user):
    drf(JWT)
    client = Client(
        enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}"
    )
    assert register_token(client).status_code == 200
    assert user.push_tokens.count() == 1


def test_simplejwt_accepts_the_tokens_push_issues(drf, user):
    drf(JWT)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_access_token(user)}")
    assert client.get(PREFERENCES).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer not.a.jwt", id="garbage"),
        pytest.param("Bearer a b", id="two-values"),
        pytest.param(None, id="refresh"),
    ],
)
def test_tokens_simplejwt_refuses_are_401_with_its_challenge(drf, user, header):
    drf(JWT)
    header = header or f"Bearer {RefreshToken.for_user(user)}"
    response = register_token(Client(HTTP_AUTHORIZATION=header))
    assert response.status_code == 401
    assert response.json()["message"] == (
        "Authentication credentials were not provided or are invalid."
    )
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not user.push_tokens.exists()


def test_no_credentials_is_401_with_the_first_classes_challenge(drf):
    drf(SESSION, JWT)  # SessionAuthentication has no challenge: the next one's is used
    response = Client().get(PREFERENCES)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_inactive_users_token_is_401(drf, user):
    drf(JWT)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    user.is_active = False
    user.save()
    assert client.get(PREFERENCES).status_code == 401


# -- a host's own class -------------------------------------------------------------------


def test_a_hosts_own_class(drf, user):
    drf(KEY, JWT)
    alice = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Key key-alice")
    assert register_token(alice).status_code == 200
    response = register_token(Client(HTTP_AUTHORIZATION="Key key-nobody"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Key realm="api"'


def test_a_scheme_no_class_takes_is_401(drf, user):
    drf(KEY, JWT)
    response = Client(HTTP_AUTHORIZATION="Basic YWxpY2U6cHc=").get(PREFERENCES)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Key realm="api"'


def test_refusals_are_logged_without_the_credential(drf, caplog):
    drf(KEY)
    with caplog.at_level("INFO", logger="push"):
        Client(HTTP_AUTHORIZATION="Key key-secret-guess").get(PREFERENCES)
    assert "KeyAuthentication refused the credentials: AuthenticationFailed" in caplog.text
    assert "secret-guess" not in caplog.text


# -- DRF's SessionAuthentication: its CSRF check, once, at the API's CSRF step ----------


def test_a_drf_session_user_without_the_csrf_token_is_403_json(drf, user):
    drf(SESSION)
    response = register_token(browser_of(user))
    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "message": "CSRF check failed: CSRF cookie not set.",
    }
    assert not user.push_tokens.exists()


def test_a_drf_session_user_with_the_csrf_token_passes(drf, user):
    drf(SESSION)
    browser = browser_of(user)
    assert register_token(browser, HTTP_X_CSRFTOKEN=give_csrf_cookie(browser)).status_code == 200
    assert user.push_tokens.get().token == VALID_TOKEN  # the body was left for push to read
    assert browser.get(PREFERENCES).status_code == 200


def test_drfs_csrf_check_runs_once_per_request(drf, user):
    drf(COUNTING_SESSION)
    drf_auth.CountingSessionAuthentication.checks = 0
    browser = browser_of(user)
    assert register_token(browser, HTTP_X_CSRFTOKEN=give_csrf_cookie(browser)).status_code == 200
    assert register_token(browser).status_code == 403
    assert drf_auth.CountingSessionAuthentication.checks == 2


def test_the_class_decides_about_csrf_as_in_drf(drf, user):
    """A host that exempted its session from CSRF in DRF is not checked a second time."""
    drf(EXEMPT_SESSION)
    assert register_token(browser_of(user)).status_code == 200


def test_drfs_csrf_check_comes_after_405_and_the_user_limit(drf, settings, user):
    drf(SESSION)
    push_settings_update(settings, API_RATE_LIMITS={"preferences": "1/m"})
    browser = browser_of(user)
    assert browser.delete(PREFERENCES).status_code == 405
    assert browser.patch(PREFERENCES, {}, "application/json").status_code == 403
    assert browser.patch(PREFERENCES, {}, "application/json").status_code == 429


def test_an_authorization_header_never_falls_back_to_drfs_session(drf, user):
    drf(JWT, SESSION)
    browser = Client(HTTP_AUTHORIZATION="Token abc")
    browser.force_login(user)
    assert browser.get(PREFERENCES).status_code == 401


def test_drf_then_push_session(drf, settings, user):
    drf(JWT)
    push_settings_update(settings, AUTHENTICATION=["push.auth.rest_framework", "push.auth.session"])
    browser = browser_of(user)
    assert register_token(browser).status_code == 403  # push's session: Django's CSRF check
    assert register_token(browser, HTTP_X_CSRFTOKEN=give_csrf_cookie(browser)).status_code == 200


WITHOUT_PYJWT = """
import json, sys
sys.modules["jwt"] = None  # DRF installed, PyJWT not: the drf extra without jwt
import django
django.setup()
from django.conf import settings
settings.PUSH_NOTIFICATIONS = {"AUTHENTICATION": ["push.auth.rest_framework"]}
settings.REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"]
}
from push.api.openapi import document
print(json.dumps(sorted(document()["components"]["securitySchemes"])))
"""


def test_the_document_of_a_drf_host_without_pyjwt():
    result = run_site_python(WITHOUT_PYJWT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["session"]
