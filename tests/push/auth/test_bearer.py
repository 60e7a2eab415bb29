"""Bearer authentication: simplejwt-format access tokens only, decided before CSRF."""

import time
from datetime import timedelta

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from push.auth.access_tokens import issue_access_token
from tests.support.api import REGISTER

pytestmark = pytest.mark.django_db

FORGERY_KEY = "not-our-secret-key-at-all-but-long-enough-for-hs256"
BODY = {"token": "ExponentPushToken[abcdefghijklmnopqrstuv]"}


def _claims(user_id, **overrides):
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 300, "iat": now, "jti": "x", "user_id": user_id}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _post_with(header: str):
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=header)
    return client.post(REGISTER, BODY, content_type="application/json")


def _token(claims, key=None, algorithm="HS256"):
    from django.conf import settings

    return jwt.encode(claims, key or settings.SECRET_KEY, algorithm=algorithm)


@pytest.mark.parametrize("user_id_as", [int, str])
def test_simplejwt_access_token_authenticates_with_int_or_string_user_id(user, user_id_as):
    response = _post_with(f"Bearer {_token(_claims(user_id_as(user.pk)))}")
    assert response.status_code == 200, response.content
    assert user.push_tokens.count() == 1


def test_issued_token_authenticates(user):
    response = _post_with(f"Bearer {issue_access_token(user)}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(
            lambda uid: f"Bearer {_token(_claims(uid, exp=int(time.time()) - 5))}", id="expired"
        ),
        pytest.param(
            lambda uid: f"Bearer {_token(_claims(uid), key=FORGERY_KEY)}",
            id="forged",
        ),
        pytest.param(
            lambda uid: f"Bearer {_token(_claims(uid, token_type='refresh'))}", id="refresh"
        ),
        pytest.param(lambda uid: f"Bearer {_token(_claims(uid, exp=None))}", id="no-exp"),
        pytest.param(lambda uid: f"Bearer {_token(_claims(uid, token_type=None))}", id="no-type"),
        pytest.param(lambda uid: f"Bearer {_token(_claims(None))}", id="no-user-id"),
        pytest.param(lambda uid: f"Bearer {_token(_claims(999999))}", id="unknown-user"),
        pytest.param(lambda uid: f"Bearer {_token(_claims(True))}", id="bool-user-id"),
        pytest.param(lambda uid: f"Bearer {_token(_claims('abc'))}", id="text-user-id"),
        pytest.param(lambda uid: f"Bearer {_token(_claims(10**30))}", id="huge-user-id"),
        pytest.param(
            lambda uid: f"Bearer {_token(_claims(uid), algorithm='HS512')}", id="other-alg"
        ),
        pytest.param(
            lambda uid: "Bearer " + jwt.encode(_claims(uid), None, algorithm="none"), id="alg-none"
        ),
        pytest.param(lambda uid: f"Token {_token(_claims(uid))}", id="other-scheme"),
        pytest.param(lambda uid: "Basic YWxpY2U6cHctYWxpY2UtMTIz", id="basic"),
        pytest.param(lambda uid: "Bearer", id="empty-bearer"),
        pytest.param(lambda uid: "Bearer not.a.jwt", id="garbage"),
    ],
)
def test_rejected_tokens_get_401_json_and_change_nothing(user, make_header):
    response = _post_with(make_header(user.pk))
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response.json()["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not user.push_tokens.exists()


def test_inactive_user_is_rejected(user):
    header = f"Bearer {issue_access_token(user)}"
    user.is_active = False
    user.save()
    assert _post_with(header).status_code == 401


def test_bad_authorization_header_overrides_a_session(user):
    client = Client(HTTP_AUTHORIZATION="Bearer forged")
    client.force_login(user)
    response = client.post(REGISTER, BODY, content_type="application/json")
    assert response.status_code == 401


def test_no_credentials_is_401_before_csrf():
    client = Client(enforce_csrf_checks=True)
    response = client.post(REGISTER, BODY, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "message": "Authentication credentials were not provided or are invalid.",
    }


def test_session_request_without_csrf_token_is_403_json(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(REGISTER, BODY, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["success"] is False
    assert "CSRF" in response.json()["message"]
    assert not user.push_tokens.exists()


def test_session_request_with_csrf_token_passes(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/admin/login/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(REGISTER, BODY, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content
    assert user.push_tokens.count() == 1


def test_access_token_command_prints_a_working_token(user, capsys):
    call_command("access_token", "alice")
    token = capsys.readouterr().out.strip()
    assert _post_with(f"Bearer {token}").status_code == 200


def test_access_token_command_lifetime(user, capsys):
    call_command("access_token", "alice", "--minutes", "2")
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == timedelta(minutes=2).total_seconds()
    assert claims["token_type"] == "access"


def test_access_token_command_unknown_user_is_a_command_error(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("access_token", "nobody")
