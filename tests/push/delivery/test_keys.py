"""Never doubled: idempotency keys, one notification per user and key."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction

import push
from orders.models import Order, Product
from push import Notification, on_change
from push import receivers as receivers_module
from push.models import NotificationLog, PushToken
from tests.support.devices import register_devices

TOKEN = "ExponentPushToken[keys-phone-aaaaaaaaaa]"
OTHER = "ExponentPushToken[keys-other-bbbbbbbbbb]"


@pytest.fixture
def phones(user, other_user):
    register_devices(user, TOKEN)
    register_devices(other_user, OTHER)


@pytest.mark.django_db
def test_a_repeat_returns_the_existing_row_and_sends_nothing(
    user, other_user, phones, expo, committed
):
    with committed():
        first = push.send(user, "Order Update", "Shipped", type="order", key="order-42-shipped")
    with committed():
        again = push.send(user, "Order Update", "Shipped!", type="order", key="order-42-shipped")
    assert first.status == "sent"
    assert (again.pk, again.body, again.status) == (first.pk, "Shipped", "sent")
    with committed():
        # Another user, or another key, is another notification.
        push.send(other_user, "Order Update", "Shipped", type="order", key="order-42-shipped")
        push.send(user, "Order Update", "Delivered", type="order", key="order-42-delivered")
        # Without a key nothing is deduplicated.
        push.send(user, "Hi", "There")
        push.send(user, "Hi", "There")
    assert NotificationLog.objects.count() == 5
    assert [m["body"] for m in expo.delivered if m["to"] == TOKEN] == [
        "Shipped",
        "Delivered",
        "There",
        "There",
    ]


@pytest.mark.django_db
def test_a_repeat_inside_the_callers_transaction_keeps_it_usable(user, phones, expo, committed):
    with committed():
        first = push.send(user, "Hi", "There", key="welcome")
        again = push.send(user, "Hi", "There", key="welcome")
        assert again.pk == first.pk
        assert NotificationLog.objects.count() == 1  # the transaction still works
    assert len(expo.delivered) == 1


@pytest.mark.django_db(transaction=True)
def test_send_bulk_skips_users_who_have_the_key(user, other_user, phones, expo):
    push.send(user, "Maintenance", "Tonight", key="maintenance-1")
    report = push.send_bulk([user, other_user], "Maintenance", "Tonight", key="maintenance-1")
    assert (report["total"], report["successful"]) == (1, 1)
    report = push.send_bulk([user, other_user, user], "Maintenance", "Tonight", key="maintenance-1")
    assert report["total"] == 0
    # Inside a transaction (delivery after the commit) the same.
    with transaction.atomic():
        report = push.send_bulk([user, other_user], "Maintenance", "Again", key="maintenance-1")
        assert report["total"] == 0
        report = push.send_bulk([user, other_user], "Maintenance", "Two", key="maintenance-2")
        assert (report["total"], report["pending"]) == (2, 2)
    assert sorted(m["body"] for m in expo.delivered) == ["Tonight", "Tonight", "Two", "Two"]
    assert NotificationLog.objects.filter(key="maintenance-2", status="sent").count() == 2


@pytest.mark.django_db
def test_a_bad_key_is_refused(user):
    with pytest.raises(ValueError):
        push.send(user, "Hi", "There", key="x" * 256)
    with pytest.raises(ValueError):
        push.send(user, "Hi", "There", key=42)
    assert not NotificationLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_push_send_key(user, other_user, phones, expo, capsys):
    args = ["push_send", "--user", "alice", "--title", "Hi", "--body", "There"]
    call_command(*args, "--key", "hello-1")
    call_command(*args, "--user", "bob", "--key", "hello-1")
    out = capsys.readouterr().out.splitlines()
    assert "push_send: 1 user(s): 1 sent" in out[-2]
    assert "1 user(s) already had a notification with the key 'hello-1'" in out[-1]
    assert sorted(m["to"] for m in expo.delivered) == sorted([TOKEN, OTHER])


@pytest.fixture
def keyed_receiver():
    @on_change("orders.Order", "status", to=["shipped"])
    def shipped_once(order, change):
        return Notification(
            to=order.buyer_id, title="Shipped", body="Once", type="order", key=f"shipped-{order.pk}"
        )

    yield
    receivers_module.forget(shipped_once)


@pytest.mark.django_db
def test_receivers_notify_each_repeat_unless_they_give_a_key(
    keyed_receiver, buyer, seller, expo, committed
):
    PushToken.objects.create(user=buyer, token=TOKEN)
    product = Product.objects.create(seller=seller, name="Desk lamp", price=Decimal("8"))
    with committed():
        order = Order.objects.create(product=product, buyer=buyer)
    for status in ("shipped", "processing", "shipped"):
        with committed():
            order.status = status
            order.save()
    bodies = [m["body"] for m in expo.delivered if m["to"] == TOKEN]
    # The app's own receiver notifies each genuine change; the keyed one only once.
    assert bodies.count("Your order has been shipped") == 2
    assert bodies.count("Once") == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent transactions")
def test_concurrent_repeats_in_separate_transactions_give_one_row_and_one_push(user, expo):
    PushToken.objects.create(user=user, token=TOKEN)
    threads_count = 8
    ready = threading.Barrier(threads_count)
    results, errors = [], []

    def repeat() -> None:
        try:
            with transaction.atomic():
                ready.wait(timeout=5)
                results.append(push.send(user.pk, "Order Update", "Shipped", key="race").pk)
                threading.Event().wait(0.05)  # hold the row uncommitted a while
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=repeat) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == threads_count
    assert NotificationLog.objects.get().status == "sent"
    assert len(expo.delivered) == 1
