"""Fixtures shared by every test: users, and clients that authenticate like the mobile app."""

import pytest
from django.test import Client

from unitrade.access_tokens import issue_access_token

VALID_TOKEN = "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]"
OTHER_TOKEN = "ExpoPushToken[yyyyyyyyyyyyyyyyyyyyyy]"


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


def bearer_client(user) -> Client:
    """Return a client that sends `Authorization: Bearer` like the mobile app, CSRF enforced."""
    token = issue_access_token(user)
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def api(user) -> Client:
    return bearer_client(user)


@pytest.fixture
def other_api(other_user) -> Client:
    return bearer_client(other_user)
