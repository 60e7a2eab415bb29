"""Calling the API like the mobile app does: its URLs, bearer-token clients, device tokens."""

from datetime import timedelta

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from push.auth.access_tokens import issue_access_token

VALID_TOKEN = "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]"
OTHER_TOKEN = "ExpoPushToken[yyyyyyyyyyyyyyyyyyyyyy]"

# The endpoints, by their URL names (app_name "push").
REGISTER = reverse("push:save_push_token")
REMOVE = reverse("push:remove_push_token")
TEST = reverse("push:test_notification")
PREFERENCES = reverse("push:push_preferences")
INBOX = reverse("push:notifications")
INBOX_READ = reverse("push:notifications_read")
INBOX_UNREAD_COUNT = reverse("push:unread_count")


def bearer_client(user) -> Client:
    """Return a client that sends `Authorization: Bearer` like the mobile app, CSRF enforced."""
    token = issue_access_token(user, timedelta(minutes=settings.ACCESS_TOKEN_LIFETIME_MINUTES))
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")


def browser_of(user) -> Client:
    """Return a client logged in with a session, CSRF enforced, like a browser page's script."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def give_csrf_cookie(client: Client) -> str:
    """Give the client a csrftoken cookie; return the token a page would hand its script."""
    secret = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return secret


def register_token(client: Client, **extra):
    """POST VALID_TOKEN to the register endpoint as the mobile app does."""
    return client.post(REGISTER, {"token": VALID_TOKEN}, content_type="application/json", **extra)
