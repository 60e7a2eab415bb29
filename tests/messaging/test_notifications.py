"""A chat message notifies the other party, never the sender, never with its text."""

import logging
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from messaging.models import Message, Thread
from orders.models import Product
from push.models import NotificationLog, PushToken

pytestmark = pytest.mark.django_db

SECRET = "my phone number is 555-0100"


@pytest.fixture
def thread(django_user_model):
    seller = django_user_model.objects.create_user(username="sam", first_name="Sam")
    buyer = django_user_model.objects.create_user(username="alice", first_name="Alice")
    PushToken.objects.create(user=seller, token="ExponentPushToken[seller-phone-xxxxxxx]")
    PushToken.objects.create(user=buyer, token="ExponentPushToken[buyer-phone-yyyyyyyy]")
    product = Product.objects.create(seller=seller, name="Desk lamp", price=Decimal("8"))
    return Thread.objects.create(product=product, buyer=buyer, seller=seller)


@pytest.mark.parametrize(
    ("sender", "recipient_token", "sender_name"),
    [
        ("buyer", "ExponentPushToken[seller-phone-xxxxxxx]", "Alice"),
        ("seller", "ExponentPushToken[buyer-phone-yyyyyyyy]", "Sam"),
    ],
)
def test_the_other_party_is_notified(
    thread, expo, committed, sender, recipient_token, sender_name, caplog
):
    with caplog.at_level(logging.DEBUG), committed():
        Message.objects.create(thread=thread, sender=getattr(thread, sender), text=SECRET)
    [message] = expo.delivered
    assert message["to"] == recipient_token
    assert message["title"] == f"New message from {sender_name}"
    assert message["body"] == "Tap to view message"
    assert message["data"]["type"] == "message"
    assert message["data"]["threadId"] == str(thread.id)
    # The thread's pushes collapse on the phone: the newest replaces the older ones.
    assert message["collapseId"] == message["tag"] == f"thread-{thread.id}"
    assert SECRET not in str(message)
    assert SECRET not in caplog.text
    log = NotificationLog.objects.get()
    assert SECRET not in f"{log.title} {log.body} {log.data}"


def test_an_outsider_cannot_write_and_notifies_nobody(thread, expo, committed, django_user_model):
    outsider = django_user_model.objects.create_user(username="eve")
    message = Message(thread=thread, sender=outsider, text="hi")
    with pytest.raises(ValidationError):
        message.full_clean()
    with committed():
        message.save()
    assert expo.delivered == []
