"""Logs never hold a whole push token, an access token or what a chat message says.

A realistic day runs with every logger at DEBUG: devices register, notifications go out,
Expo answers with errors that quote tokens (tickets, receipts, a whole-request error),
a chat message arrives, someone replays an expired or forged bearer token, preferences
change and the rate limits bite. Then the captured records are searched for secrets, in
their formatted text and in their raw arguments.
"""

import logging
from datetime import timedelta

import pytest
from django.test import Client

from messaging.models import Message, Thread
from orders.models import Product
from push.auth.access_tokens import issue_access_token
from push.delivery.engine import deliver_due
from push.delivery.receipts import check_receipts
from push.tokens import mask_token
from tests.support.api import PREFERENCES, REGISTER, TEST, bearer_client
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db(transaction=True)

ALICE_PHONE = "ExponentPushToken[alice-phone-secret-1234567890]"
ALICE_TABLET = "ExpoPushToken[alice-tablet-secret-0987654321]"
BOB_PHONE = "ExponentPushToken[bob-phone-secret-abcdefghijkl]"
BOB_OLD_PHONE = "ExponentPushToken[bob-old-phone-secret-mnopqrst]"
CHAT_TEXT = "my door code is 4711, the parcel is under the mat"
EXPO_ACCESS_TOKEN = "expo-access-token-secret-5f2c9a"


def register(client, token, device_type="android"):
    response = client.post(
        REGISTER,
        {"token": token, "device_type": device_type},
        content_type="application/json",
    )
    assert response.status_code == 200
    return response


def every_logger_at_debug(caplog):
    """Lower the root and every logger that exists (django, push, unitrade...) to DEBUG."""
    names = [None, "django", "push", "unitrade", "messaging", "orders", "urllib3", "requests"]
    names += [name for name in logging.root.manager.loggerDict]
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)


def test_a_day_of_traffic_leaves_no_secret_in_the_logs(user, other_user, expo, settings, caplog):
    # Production: DEBUG off (with DEBUG on, django.db.backends would log every SQL query
    # with its parameters at DEBUG; push.W003 warns about a DEBUG deployment).
    settings.DEBUG = False
    user.is_staff = True  # the test endpoint
    user.save()
    every_logger_at_debug(caplog)
    expo.access_token = EXPO_ACCESS_TOKEN
    push_settings_update(
        settings, EXPO_ACCESS_TOKEN=EXPO_ACCESS_TOKEN, API_RATE_LIMITS={"test": "1/m"}
    )
    access_tokens = [issue_access_token(user), issue_access_token(other_user)]
    alice, bob = (Client(HTTP_AUTHORIZATION=f"Bearer {token}") for token in access_tokens)
    expired = issue_access_token(user, lifetime=timedelta(seconds=-5))
    forged = access_tokens[0][:-6] + "AAAAAA"
    access_tokens += [expired, forged]

    register(alice, ALICE_PHONE)
    register(alice, ALICE_TABLET, "ios")
    register(bob, BOB_PHONE, "ios")
    register(bob, BOB_OLD_PHONE)
    # A device switching accounts is logged (masked).
    register(alice, BOB_OLD_PHONE)
    register(bob, BOB_OLD_PHONE)

    # Expo quotes tokens in ticket errors; one is dead, one has broken credentials.
    expo.token_errors[ALICE_TABLET] = "DeviceNotRegistered"
    expo.token_errors[BOB_OLD_PHONE] = "InvalidCredentials"
    assert alice.generic("POST", TEST).status_code == 200
    assert alice.generic("POST", TEST).status_code == 429

    # A chat message: the other party is told, never what it says.
    product = Product.objects.create(seller=other_user, name="Desk lamp", price="12.00")
    thread = Thread.objects.create(product=product, buyer=user, seller=other_user)
    Message.objects.create(thread=thread, sender=user, text=CHAT_TEXT)

    # Receipts quoting tokens.
    expo.receipt_errors[BOB_PHONE] = "DeviceNotRegistered"
    check_receipts(min_age=timedelta(0))

    # A whole request refused: tokens of two projects in one request.
    expo.token_errors.clear()
    expo.token_projects[ALICE_PHONE] = "@alice/other-app"
    register(alice, ALICE_TABLET, "ios")
    register(bob, BOB_PHONE, "ios")
    from push import send_bulk

    send_bulk([user, other_user], "Maintenance", "Tonight at 2", type="system")
    deliver_due()

    # Expo's own access token is wrong.
    expo.access_token = "another-one"
    send_bulk([user], "Hello", "again", type="system")

    # Rejected bearer tokens, and preference changes.
    for token in (expired, forged, "garbage"):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get(PREFERENCES).status_code == 401
    response = bearer_client(user).patch(
        PREFERENCES,
        {"preferences": {"message": False}, "quiet_hours": None},
        content_type="application/json",
    )
    assert response.status_code == 200
    Message.objects.create(thread=thread, sender=other_user, text=CHAT_TEXT)

    assert caplog.records, "the flow logged nothing: the test would prove nothing"
    logged = caplog.text + "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )
    secrets = {
        "push token": [ALICE_PHONE, ALICE_TABLET, BOB_PHONE, BOB_OLD_PHONE],
        "access token": [*access_tokens, EXPO_ACCESS_TOKEN],
        "chat text": [CHAT_TEXT, "4711"],
    }
    for kind, values in secrets.items():
        for value in values:
            assert value not in logged, f"a {kind} was logged"
    # The logs still say what happened, with tokens masked.
    assert f"Device {mask_token(BOB_OLD_PHONE)} moved from user" in logged
    assert f"Deactivating {mask_token(ALICE_TABLET)}: DeviceNotRegistered" in logged
    assert "Rejected bearer token: ExpiredSignatureError" in logged
