"""The same rules with real commits (transactional tests), including concurrent writers."""

import threading

import pytest
from django.db import connection, transaction

from orders.models import Order
from tests.support.marketplace import BUYER_TOKEN, SELLER_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def bodies(expo, token):
    return [message["body"] for message in expo.delivered if message["to"] == token]


@pytest.fixture
def committed_order(product, buyer):
    return Order.objects.create(product=product, buyer=buyer)


def test_autocommit_save_delivers_right_away(committed_order, expo):
    assert [m["to"] for m in expo.delivered] == [SELLER_TOKEN]


def test_final_value_once_per_transaction_and_repeats_across_transactions(committed_order, expo):
    with transaction.atomic():
        committed_order.status = "processing"
        committed_order.save()
        committed_order.status = "shipped"
        committed_order.save()
    for status in ["processing", "shipped"]:
        committed_order.status = status
        committed_order.save()
    assert bodies(expo, BUYER_TOKEN) == [
        "Your order has been shipped",
        "Your order is being processed",
        "Your order has been shipped",
    ]


def test_stale_copy_after_a_real_commit(committed_order, expo):
    stale = Order.objects.get(pk=committed_order.pk)
    committed_order.status = "delivered"
    committed_order.save()
    stale.status = "delivered"
    stale.save()
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been delivered"]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_two_transactions_racing_to_the_same_status_notify_once(committed_order, expo):
    loaded = threading.Barrier(2)
    errors = []

    def ship(hold_lock_seconds: float) -> None:
        try:
            with transaction.atomic():
                order = Order.objects.get(pk=committed_order.pk)
                loaded.wait(timeout=5)
                order.status = "shipped"
                order.save()
                threading.Event().wait(hold_lock_seconds)
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ship, args=(delay,)) for delay in (0.3, 0.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been shipped"]
