"""push.auth.session: Django's session user, with or without AuthenticationMiddleware; CSRF."""

import pytest
from django.test import Client

from push.models import PushToken
from tests.support.api import (
    PREFERENCES,
    browser_of,
    give_csrf_cookie,
    register_token,
)
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


@pytest.fixture(autouse=True)
def _session_only(settings):
    """The library's default setting."""
    push_settings_update(settings, AUTHENTICATION=["push.auth.session"])


@pytest.fixture(params=["with AuthenticationMiddleware", "without it"])
def middleware(request, settings):
    settings.MIDDLEWARE = (
        [SESSIONS, AUTHENTICATION_MIDDLEWARE] if request.param.startswith("with ") else [SESSIONS]
    )


def test_the_session_user_is_the_caller(middleware, user):
    response = browser_of(user).get(PREFERENCES)
    assert response.status_code == 200, response.content


def test_a_session_user_without_the_csrf_token_is_403_json(middleware, user):
    response = register_token(browser_of(user))
    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "message": "CSRF check failed: CSRF cookie not set.",
    }
    assert not PushToken.objects.exists()


def test_a_session_user_with_a_wrong_csrf_token_is_403(middleware, user):
    browser = browser_of(user)
    give_csrf_cookie(browser)
    response = register_token(browser, HTTP_X_CSRFTOKEN="x" * 32)
    assert response.status_code == 403
    assert response.json()["message"].startswith("CSRF check failed: CSRF token ")


def test_a_session_user_with_the_csrf_token_passes(middleware, user):
    browser = browser_of(user)
    token = give_csrf_cookie(browser)
    response = register_token(browser, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert user.push_tokens.count() == 1


def test_no_session_is_401_without_a_challenge(middleware):
    response = register_token(Client(enforce_csrf_checks=True))
    assert response.status_code == 401
    assert "WWW-Authenticate" not in response.headers  # a session has no scheme to name


def test_an_inactive_users_session_is_401(middleware, user):
    browser = browser_of(user)
    user.is_active = False
    user.save()
    assert browser.get(PREFERENCES).status_code == 401


def test_a_session_whose_user_changed_password_is_401(middleware, user):
    browser = browser_of(user)
    user.set_password("a-new-password-456")
    user.save()
    assert browser.get(PREFERENCES).status_code == 401


def test_without_session_middleware_there_is_no_session_user(settings, user):
    settings.MIDDLEWARE = []
    assert browser_of(user).get(PREFERENCES).status_code == 401


def test_an_authorization_header_is_never_traded_for_the_session(middleware, user):
    browser = Client(HTTP_AUTHORIZATION="Basic YWxpY2U6cHctYWxpY2UtMTIz")
    browser.force_login(user)
    assert browser.get(PREFERENCES).status_code == 401
