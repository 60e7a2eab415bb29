"""push.auth.simplejwt_bearer: simplejwt-format access tokens only, decided before CSRF."""

import time
import uuid
from datetime import timedelta

import jwt
import pytest
from django.conf import settings as django_settings
from django.db import models
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from push.auth.access_tokens import (
    DEFAULT_LIFETIME,
    InvalidAccessToken,
    issue_access_token,
    user_pk_from_claim,
)
from tests.support.api import PREFERENCES, REGISTER
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

FORGERY_KEY = "not-our-secret-key-at-all-but-long-enough-for-hs256"
BODY = {"token": "ExponentPushToken[abcdefghijklmnopqrstuv]"}
INVALID_TOKEN = 'Bearer error="invalid_token"'


@pytest.fixture(autouse=True)
def _bearer_only(settings):
    """The bearer authenticator alone: what is tested here is its own answer."""
    push_settings_update(settings, AUTHENTICATION=["push.auth.simplejwt_bearer"])


def _claims(user_id, **overrides):
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 300, "iat": now, "jti": "x", "user_id": user_id}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _post_with(header: str):
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=header)
    return client.post(REGISTER, BODY, content_type="application/json")


def _token(claims, key=None, algorithm="HS256"):
    return jwt.encode(claims, key or django_settings.SECRET_KEY, algorithm=algorithm)


@pytest.mark.parametrize("user_id_as", [int, str])
def test_simplejwt_access_token_authenticates_with_int_or_string_user_id(user, user_id_as):
    response = _post_with(f"Bearer {_token(_claims(user_id_as(user.pk)))}")
    assert response.status_code == 200, response.content
    assert user.push_tokens.count() == 1


def test_issued_token_authenticates(user):
    response = _post_with(f"Bearer {issue_access_token(user)}")
    assert response.status_code == 200


def test_issued_tokens_last_simplejwts_default_unless_told(user):
    for lifetime in (DEFAULT_LIFETIME, timedelta(hours=2)):
        args = () if lifetime is DEFAULT_LIFETIME else (lifetime,)
        claims = jwt.decode(issue_access_token(user, *args), options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == lifetime.total_seconds()
        assert claims["token_type"] == "access"
        assert claims["user_id"] == str(user.pk)
    assert DEFAULT_LIFETIME == timedelta(minutes=5)


def test_a_token_simplejwt_itself_issued_authenticates(user):
    response = _post_with(f"Bearer {AccessToken.for_user(user)}")
    assert response.status_code == 200, response.content


def test_simplejwts_refresh_token_is_refused(user):
    response = _post_with(f"Bearer {RefreshToken.for_user(user)}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN


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
        pytest.param(lambda uid: "Bearer not.a.jwt", id="garbage"),
    ],
)
def test_rejected_tokens_get_401_invalid_token_and_change_nothing(user, make_header):
    response = _post_with(make_header(user.pk))
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "message": "Authentication credentials were not provided or are invalid.",
    }
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN
    assert not user.push_tokens.exists()


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Token abc", id="other-scheme"),
        pytest.param("Basic YWxpY2U6cHctYWxpY2UtMTIz", id="basic"),
        pytest.param("Bearer", id="empty-bearer"),
        pytest.param("", id="empty-header"),
    ],
)
def test_no_bearer_token_is_401_with_a_plain_bearer_challenge(user, header):
    response = _post_with(header)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert not user.push_tokens.exists()


def test_no_credentials_is_401_with_the_bearer_challenge():
    response = Client(enforce_csrf_checks=True).get(PREFERENCES)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_of_an_inactive_user_is_rejected(user):
    header = f"Bearer {issue_access_token(user)}"
    user.is_active = False
    user.save()
    response = _post_with(header)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN


def test_a_token_of_a_deleted_user_is_rejected(user):
    header = f"Bearer {issue_access_token(user)}"
    user.delete()
    assert _post_with(header).status_code == 401


def test_a_bearer_user_is_exempt_from_csrf(user):
    """Enforced CSRF and no token: the header is not something a browser sends by itself."""
    response = _post_with(f"Bearer {issue_access_token(user)}")
    assert response.status_code == 200, response.content


def test_rejections_are_logged_by_reason_never_with_the_token(user, caplog):
    token = _token(_claims(user.pk), key=FORGERY_KEY)
    with caplog.at_level("INFO", logger="push"):
        _post_with(f"Bearer {token}")
    assert "Rejected bearer token: InvalidSignatureError" in caplog.text
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text


# -- the user_id claim as the user model's primary key ----------------------------------


@pytest.mark.parametrize(
    ("pk_field", "claim", "expected"),
    [
        (models.BigAutoField(primary_key=True), 42, 42),
        (models.BigAutoField(primary_key=True), "42", 42),
        (
            models.UUIDField(primary_key=True),
            "0b6f7c0e-8f7a-4c0e-9b1a-3f2f5a6b7c8d",
            uuid.UUID("0b6f7c0e-8f7a-4c0e-9b1a-3f2f5a6b7c8d"),
        ),
        (
            models.UUIDField(primary_key=True),
            "0b6f7c0e8f7a4c0e9b1a3f2f5a6b7c8d",
            uuid.UUID("0b6f7c0e-8f7a-4c0e-9b1a-3f2f5a6b7c8d"),
        ),
        (models.CharField(primary_key=True, max_length=150), "alice", "alice"),
        (models.CharField(primary_key=True, max_length=150), 7, "7"),
    ],
)
def test_the_user_id_claim_is_converted_by_the_user_models_pk_field(pk_field, claim, expected):
    assert user_pk_from_claim(claim, pk_field) == expected


@pytest.mark.parametrize(
    ("pk_field", "claim"),
    [
        (models.BigAutoField(primary_key=True), "abc"),
        (models.BigAutoField(primary_key=True), True),
        (models.BigAutoField(primary_key=True), 1.5),
        (models.BigAutoField(primary_key=True), None),
        (models.BigAutoField(primary_key=True), {"$ne": None}),
        (models.UUIDField(primary_key=True), "not-a-uuid"),
        (models.CharField(primary_key=True, max_length=150), ["alice"]),
    ],
)
def test_a_user_id_claim_the_pk_field_cannot_hold_is_invalid(pk_field, claim):
    with pytest.raises(InvalidAccessToken, match="malformed user id"):
        user_pk_from_claim(claim, pk_field)
