"""`manage.py access_token`: the site's way to get a bearer token for the curl walkthrough."""

from datetime import timedelta

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.support.api import REGISTER

pytestmark = pytest.mark.django_db

BODY = {"token": "ExponentPushToken[abcdefghijklmnopqrstuv]"}


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_access_token_command_prints_a_working_token(user, capsys):
    call_command("access_token", "alice")
    token = capsys.readouterr().out.strip()
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post(REGISTER, BODY, content_type="application/json").status_code == 200


def test_access_token_command_lasts_the_sites_lifetime(user, capsys, settings):
    settings.ACCESS_TOKEN_LIFETIME_MINUTES = 60
    call_command("access_token", "alice")
    claims = _claims(capsys.readouterr().out.strip())
    assert claims["exp"] - claims["iat"] == timedelta(minutes=60).total_seconds()


def test_access_token_command_lifetime(user, capsys):
    call_command("access_token", "alice", "--minutes", "2")
    claims = _claims(capsys.readouterr().out.strip())
    assert claims["exp"] - claims["iat"] == timedelta(minutes=2).total_seconds()
    assert claims["token_type"] == "access"


def test_access_token_command_unknown_user_is_a_command_error(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("access_token", "nobody")


def test_access_token_command_refuses_inactive_users_and_bad_lifetimes(user):
    with pytest.raises(CommandError, match="--minutes must be positive"):
        call_command("access_token", "alice", "--minutes", "0")
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("access_token", "alice")
