"""Calling the API like the mobile app does: bearer-token clients and device tokens."""

from django.test import Client

from unitrade.access_tokens import issue_access_token

VALID_TOKEN = "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]"
OTHER_TOKEN = "ExpoPushToken[yyyyyyyyyyyyyyyyyyyyyy]"


def bearer_client(user) -> Client:
    """Return a client that sends `Authorization: Bearer` like the mobile app, CSRF enforced."""
    token = issue_access_token(user)
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
