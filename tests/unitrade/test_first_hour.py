"""What a newcomer meets in the first hour, following the README (issue 11, section 3)."""

import logging
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from push.models import NotificationLog, PushToken
from tests.support import processes


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_api_url_is_a_json_404(settings, debug):
    settings.DEBUG = debug
    response = Client().get("/api/users/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


@pytest.mark.parametrize("debug", [True, False])
def test_a_post_without_the_trailing_slash_names_the_right_url(settings, debug):
    settings.DEBUG = debug  # DEBUG used to raise APPEND_SLASH's RuntimeError: an HTML 500
    response = Client().post("/api/users/push-tokens", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "message": "Not found. The URL ends with a slash: POST /api/users/push-tokens/",
    }


def test_pages_outside_the_api_keep_djangos_behaviour(settings):
    settings.DEBUG = False
    response = Client().get("/admin")  # APPEND_SLASH redirects a GET
    assert response.status_code == 301


def test_a_django_log_line_prints_once():
    """Django's `django` logger has its own console handler: it must not also propagate."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import logging; logging.getLogger('django.request').warning('only-once')",
        ],
        cwd=processes.ROOT,
        env={**processes.worker_env(), "DJANGO_SETTINGS_MODULE": "unitrade.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).count("only-once") == 1


@pytest.mark.django_db
def test_expos_error_messages_are_logged_with_the_token_masked(user, expo, caplog, committed):
    import push

    token = "ExponentPushToken[gone-device-qqqqqqqqqqqq]"
    PushToken.objects.create(user=user, token=token)
    expo.token_errors[token] = "DeviceNotRegistered"
    with caplog.at_level(logging.INFO, logger="push"), committed():
        push.send(user, "Hi", "Anyone there?")
    line = next(r.getMessage() for r in caplog.records if "Deactivating" in r.getMessage())
    assert "DeviceNotRegistered" in line
    assert "is not a registered push notification recipient" in line  # Expo's words
    assert "ExponentPushToken[go…" in line
    assert token not in caplog.text


@pytest.mark.django_db
def test_push_deliver_says_what_stays_pending_and_when_the_next_is_due(user, capsys):
    later = timezone.now() + timezone.timedelta(minutes=5)
    NotificationLog.objects.create(user=user, title="Later", body="Held", next_attempt_at=later)
    call_command("push_deliver")
    out = capsys.readouterr().out
    assert "push_deliver: 0 notification(s)" in out
    assert f"push_deliver: 1 pending; the next is due at {later:%Y-%m-%d %H:%M:%S} UTC" in out
    NotificationLog.objects.all().delete()
    call_command("push_deliver")
    assert "push_deliver: nothing pending." in capsys.readouterr().out
