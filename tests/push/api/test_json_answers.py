"""Every URL under push's include answers JSON by itself, without the site's middleware.

Unknown URLs and missing trailing slashes (one rule for every method), 405, CSRF failures
and unexpected exceptions are JSON `{"success": false, "message": ...}`, DEBUG on or off.
"""

import logging

import pytest
from django.core.signals import got_request_exception
from django.test import Client

from push.models import PushToken
from tests.support.api import PREFERENCES, REGISTER, VALID_TOKEN, bearer_client
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

SESSIONS_ONLY = ["django.contrib.sessions.middleware.SessionMiddleware"]


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def bare_site(request, settings):
    """The site without any middleware, DEBUG on and off."""
    settings.MIDDLEWARE = []
    settings.DEBUG = request.param
    return settings


def assert_json_error(response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"success": False, "message": message}


@pytest.mark.parametrize(
    "path", ["/api/users/nothing-here/", "/api/users/", "/api/users/push-tokens/nope"]
)
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_an_unknown_url_under_the_include_is_a_json_404(bare_site, method, path):
    assert_json_error(Client().generic(method, path), 404, "Not found.")


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path", ["/api/users/push-tokens", "/api/users/push-preferences", "/api/users/notifications"]
)
def test_a_missing_slash_is_a_json_404_naming_the_url_for_every_method(bare_site, method, path):
    response = Client().generic(method, path, b"{}", content_type="application/json")
    assert_json_error(response, 404, f"Not found. The URL ends with a slash: {method} {path}/")


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_a_missing_slash_is_never_redirected_by_the_sites_middleware(settings, method):
    settings.DEBUG = False
    response = Client().generic(method, "/api/users/push-preferences", b"{}")
    assert_json_error(
        response,
        404,
        f"Not found. The URL ends with a slash: {method} /api/users/push-preferences/",
    )


def test_the_slash_hint_keeps_the_query_string_out(bare_site):
    response = Client().get("/api/users/notifications?limit=5")
    assert response.json()["message"] == (
        "Not found. The URL ends with a slash: GET /api/users/notifications/"
    )


def test_a_bearer_token_works_without_any_middleware(bare_site, user):
    response = bearer_client(user).post(
        REGISTER, {"token": VALID_TOKEN}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert PushToken.objects.filter(user=user, token=VALID_TOKEN).exists()


def test_405_is_json_without_any_middleware(bare_site, user):
    response = bearer_client(user).delete(PREFERENCES)
    assert_json_error(response, 405, "Method DELETE not allowed.")
    assert response["Allow"] == "GET, POST, PATCH"


def test_a_csrf_failure_is_json_without_the_csrf_middleware(settings, user):
    settings.MIDDLEWARE = SESSIONS_ONLY  # no AuthenticationMiddleware, no CsrfViewMiddleware
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.patch(PREFERENCES, {"preferences": {"message": False}}, "application/json")
    assert_json_error(response, 403, "CSRF check failed: CSRF cookie not set.")
    assert browser.get(PREFERENCES).status_code == 200  # the session user, read by push


def test_an_exception_in_a_view_is_a_bare_json_500_logged_with_its_traceback(
    bare_site, user, settings, caplog
):
    push_settings_update(settings, AUTHENTICATION=["tests.support.auth.broken_authenticator"])
    reported = []

    def receiver(sender, request, **kwargs):
        reported.append(request.path)

    got_request_exception.connect(receiver)
    try:
        with caplog.at_level(logging.ERROR, logger="push"):
            response = Client(raise_request_exception=False).get(PREFERENCES)
    finally:
        got_request_exception.disconnect(receiver)
    assert_json_error(response, 500, "Internal server error.")
    assert "hunter2" not in response.content.decode()
    (record,) = [r for r in caplog.records if r.name == "push.api.conventions"]
    assert record.getMessage() == f"Internal server error: GET {PREFERENCES}"
    assert record.exc_info[0] is RuntimeError  # the traceback is in the log
    assert reported == [PREFERENCES]  # error reporters hear of it as of any 500


def test_an_exception_of_the_view_itself_is_a_json_500(bare_site, api, monkeypatch):
    from push.api import views

    def fail(user):
        raise ValueError("no")

    monkeypatch.setattr(views, "preferences_of", fail)
    response = Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=api.defaults["HTTP_AUTHORIZATION"]
    ).get(PREFERENCES)
    assert_json_error(response, 500, "Internal server error.")


def test_the_test_client_still_raises_a_views_exception(api, monkeypatch):
    """Tests of a host project see the bug itself, as with any Django view."""
    from push.api import views

    def fail(user):
        raise ValueError("the bug")

    monkeypatch.setattr(views, "preferences_of", fail)
    with pytest.raises(ValueError, match="the bug"):
        api.get(PREFERENCES)


@pytest.mark.parametrize("debug", [True, False])
def test_the_rest_of_the_sites_api_prefix_is_a_json_404(settings, debug):
    settings.DEBUG = debug
    for path in ("/api/", "/api", "/api/users", "/api/orders/1/"):
        assert_json_error(Client().post(path), 404, "Not found.")


def test_metrics_answers_a_post_with_a_json_405(settings):
    push_settings_update(settings, METRICS_TOKEN="scrape-me")
    response = Client(enforce_csrf_checks=True).post("/metrics", HTTP_AUTHORIZATION="Bearer x")
    assert_json_error(response, 405, "Method POST not allowed.")
    assert response["Allow"] == "GET"
