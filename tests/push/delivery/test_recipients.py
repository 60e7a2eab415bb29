"""Wrong recipients are refused before anything is written; the caller's work never suffers.

A row for a user that does not exist would fail the caller's COMMIT (foreign keys are
checked then, on PostgreSQL and SQLite alike) and take the caller's own rows with it.
"""

import logging
from decimal import Decimal

import pytest
from django.db import transaction

import push
from orders.models import Order, Product
from push.models import NotificationLog
from tests.support.devices import register_devices

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = 987654321


def test_send_to_a_missing_user_raises_and_leaves_the_callers_transaction_alone(
    seller, buyer, expo
):
    product = Product.objects.create(seller=seller, name="Lamp", price=Decimal("5.00"))
    with transaction.atomic():
        order = Order.objects.create(product=product, buyer=buyer)
        with pytest.raises(ValueError, match=f"No user with id {MISSING}: nothing was sent"):
            push.send(MISSING, "Hi", "Nobody")
    # The order committed, with the seller's notification of it; nothing for nobody.
    assert Order.objects.filter(pk=order.pk).exists()
    assert not NotificationLog.objects.filter(user_id=MISSING).exists()
    assert NotificationLog.objects.filter(user=seller, type="order").count() == 1


def test_send_to_a_missing_user_outside_a_transaction_is_a_value_error(expo):
    with pytest.raises(ValueError, match="No user with id"):
        push.send(MISSING, "Hi", "Nobody")
    assert NotificationLog.objects.count() == 0


def test_send_bulk_names_the_missing_ids_and_sends_nobody_anything(user, other_user, expo):
    register_devices(user, "ExponentPushToken[recipients-alice]")
    with pytest.raises(ValueError, match=r"No user with id 99999, 99998: nothing was sent"):
        push.send_bulk([user.pk, 99999, other_user, 99998], "Hi", "Some of you")
    assert NotificationLog.objects.count() == 0
    assert expo.delivered == []


def test_a_receiver_that_names_a_missing_user_never_breaks_the_save(
    seller, expo, caplog, scratch_declarations
):
    @push.on_created("orders.Product")
    def listed(product):
        return push.Notification(MISSING, "New product", product.name, type="product")

    with caplog.at_level(logging.ERROR, logger="push.receivers"):
        with transaction.atomic():
            product = Product.objects.create(seller=seller, name="Lamp", price=Decimal("5.00"))
    assert Product.objects.filter(pk=product.pk).exists()
    assert "No user with id" in caplog.text
    assert not NotificationLog.objects.exists()
