"""Orders, payments and reviews notify by themselves, once, after commit."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, Payment, Review
from push.models import NotificationLog, PushToken
from tests.support.marketplace import BUYER_TOKEN, SELLER_TOKEN

pytestmark = pytest.mark.django_db


def sent_to(expo, token):
    return [message for message in expo.delivered if message["to"] == token]


def bodies(expo, token):
    return [message["body"] for message in sent_to(expo, token)]


def test_new_order_notifies_the_seller(product, buyer, expo, committed):
    with committed():
        order = Order.objects.create(product=product, buyer=buyer)
    [message] = expo.delivered
    assert message["to"] == SELLER_TOKEN
    assert message["title"] == "New Order! 🎉"
    assert message["body"] == "Alice ordered Calculus textbook"
    assert message["data"]["type"] == "order"
    assert message["data"]["orderId"] == str(order.id)
    log = NotificationLog.objects.get()
    assert (log.user_id, log.type, log.status) == (product.seller_id, "order", "sent")


def test_nothing_is_sent_before_commit(product, buyer, expo, committed):
    with committed():
        with transaction.atomic():
            Order.objects.create(product=product, buyer=buyer)
            assert NotificationLog.objects.get().status == "pending"
            assert expo.stats.send_requests == 0
        assert expo.stats.send_requests == 0  # the savepoint is not the commit
    assert len(expo.delivered) == 1


def test_a_rolled_back_order_notifies_nobody(product, buyer, expo, committed):
    with committed() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            Order.objects.create(product=product, buyer=buyer)
            raise RuntimeError("payment provider down")
    assert expo.delivered == []
    assert not NotificationLog.objects.exists()
    assert callbacks == []


def test_a_rolled_back_savepoint_takes_its_notification_with_it(order, expo, committed):
    with committed():
        with transaction.atomic():
            order.status = Order.Status.PROCESSING
            order.save()
            try:
                with transaction.atomic():
                    order.status = Order.Status.CANCELLED
                    order.save()
                    raise RuntimeError("undo the cancellation")
            except RuntimeError:
                pass
    assert bodies(expo, BUYER_TOKEN) == ["Your order is being processed"]


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("processing", "Your order is being processed"),
        ("shipped", "Your order has been shipped"),
        ("delivered", "Your order has been delivered"),
        ("cancelled", "Your order has been cancelled"),
    ],
)
def test_status_changes_notify_the_buyer(order, expo, committed, status, text):
    with committed():
        order.status = status
        order.save()
    [message] = sent_to(expo, BUYER_TOKEN)
    assert (message["title"], message["body"]) == ("Order Update", text)
    assert message["data"]["type"] == "order"
    assert message["data"]["orderId"] == str(order.id)


def test_back_to_pending_and_unchanged_saves_send_nothing(order, expo, committed):
    with committed():
        order.save()
        order.status = Order.Status.PENDING
        order.save()
    assert sent_to(expo, BUYER_TOKEN) == []
    assert NotificationLog.objects.filter(user=order.buyer).count() == 0


def test_update_fields_without_status_is_no_change(order, expo, committed):
    with committed():
        order.status = Order.Status.SHIPPED
        order.save(update_fields=["updated_at"])
    assert sent_to(expo, BUYER_TOKEN) == []
    with committed():
        order.save(update_fields=["status"])
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been shipped"]


def test_raw_saves_from_fixtures_notify_nobody(product, buyer, expo, tmp_path, committed):
    fixture = tmp_path / "orders.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "orders.order",
                    "pk": 500,
                    "fields": {
                        "product": product.pk,
                        "buyer": buyer.pk,
                        "status": "shipped",
                        "created_at": "2026-01-01T00:00:00Z",
                        "updated_at": "2026-01-01T00:00:00Z",
                    },
                }
            ]
        )
    )
    with committed():
        call_command("loaddata", str(fixture), verbosity=0)
    assert Order.objects.get(pk=500).status == "shipped"
    assert expo.delivered == []
    assert not NotificationLog.objects.exists()


def test_a_preset_primary_key_still_counts_as_creation(product, buyer, expo, committed):
    with committed():
        Order(pk=4242, product=product, buyer=buyer).save()
    assert [m["data"]["orderId"] for m in sent_to(expo, SELLER_TOKEN)] == ["4242"]


def test_several_changes_in_one_transaction_notify_the_final_value_once(order, expo, committed):
    with committed():
        with transaction.atomic():
            order.status = Order.Status.PROCESSING
            order.save()
            order.status = Order.Status.SHIPPED
            order.save()
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been shipped"]
    assert NotificationLog.objects.filter(user=order.buyer).count() == 1


def test_a_round_trip_inside_one_transaction_sends_nothing(order, expo, committed):
    with committed():
        order.status = Order.Status.SHIPPED
        order.save()
    with committed():
        with transaction.atomic():
            order.status = Order.Status.PROCESSING
            order.save()
            order.status = Order.Status.SHIPPED
            order.save()
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been shipped"]


def test_a_stale_copy_does_not_notify_twice(order, expo, committed):
    first = Order.objects.get(pk=order.pk)
    stale = Order.objects.get(pk=order.pk)
    with committed():
        first.status = Order.Status.SHIPPED
        first.save()
    with committed():
        stale.status = Order.Status.SHIPPED
        stale.save()
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been shipped"]


def test_a_genuine_repeat_in_later_transactions_notifies_again(order, expo, committed):
    for status in ["shipped", "processing", "shipped"]:
        with committed():
            order.status = status
            order.save()
    assert bodies(expo, BUYER_TOKEN) == [
        "Your order has been shipped",
        "Your order is being processed",
        "Your order has been shipped",
    ]


def test_a_buyer_cannot_order_their_own_product(product, seller):
    with pytest.raises(ValidationError, match="cannot order their own product"):
        Order(product=product, buyer=seller).full_clean()


def test_payment_confirmed_notifies_the_buyer(order, expo, committed):
    with committed():
        payment = Payment.objects.create(order=order, amount=Decimal("25.00"))
    assert sent_to(expo, BUYER_TOKEN) == []
    with committed():
        payment.status = Payment.Status.CONFIRMED
        payment.save()
    [message] = sent_to(expo, BUYER_TOKEN)
    assert message["title"] == "Payment Confirmed ✅"
    assert message["body"] == "Payment for Calculus textbook was successful"
    assert message["data"]["type"] == "payment"
    assert message["data"]["orderId"] == str(order.id)
    with committed():
        payment.status = Payment.Status.REFUNDED
        payment.save()
    assert len(sent_to(expo, BUYER_TOKEN)) == 1


def test_a_payment_created_confirmed_notifies(order, expo, committed):
    with committed():
        Payment.objects.create(order=order, amount=Decimal("9.99"), status="confirmed")
    assert [m["title"] for m in sent_to(expo, BUYER_TOKEN)] == ["Payment Confirmed ✅"]


def test_new_review_notifies_the_seller(order, product, buyer, expo, committed):
    expo.reset()
    with committed():
        Review.objects.create(product=product, author=buyer, rating=4, comment="Great")
    [message] = expo.delivered
    assert message["to"] == SELLER_TOKEN
    assert message["title"] == "New Review ⭐"
    assert message["body"] == 'Your product "Calculus textbook" received a 4-star review'
    assert message["data"]["type"] == "review"
    assert message["data"]["productId"] == str(product.id)


@pytest.mark.parametrize("rating", [0, 6])
def test_ratings_outside_one_to_five_are_refused(product, buyer, rating):
    with pytest.raises(ValidationError):
        Review(product=product, author=buyer, rating=rating).full_clean()


def test_a_failing_notification_never_breaks_the_save(
    product, buyer, expo, committed, monkeypatch, caplog
):
    import orders.notifications

    def broken(user):
        raise RuntimeError("bug in a receiver")

    monkeypatch.setattr(orders.notifications, "first_name", broken)
    with committed():
        order = Order.objects.create(product=product, buyer=buyer)
        order.status = Order.Status.SHIPPED
        order.save()
    assert Order.objects.get(pk=order.pk).status == "shipped"
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been shipped"]
    assert "bug in a receiver" in caplog.text


def test_a_failing_delivery_never_breaks_the_commit_or_other_hooks(
    product, buyer, expo, committed, settings
):
    settings.PUSH_NOTIFICATIONS = {**settings.PUSH_NOTIFICATIONS, "TRANSPORT": "no.such.Transport"}
    ran = []
    with committed():
        with transaction.atomic():
            Order.objects.create(product=product, buyer=buyer)
            transaction.on_commit(lambda: ran.append(True))
    assert ran == [True]
    assert NotificationLog.objects.get().status == "pending"  # kept for the worker


def _queries_to_create_and_ship(product, buyer):
    # The save path proper: inside a transaction of the caller's, delivery waits for the
    # commit (which a test's transaction never makes).
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        order = Order.objects.create(product=product, buyer=buyer)
        order.status = Order.Status.SHIPPED
        order.save()
    return len(queries)


def test_save_path_cost_does_not_grow_with_devices(product, buyer, seller, expo):
    few = _queries_to_create_and_ship(product, buyer)
    PushToken.objects.bulk_create(
        PushToken(user=user, token=f"ExponentPushToken[extra-{user.pk}-{n}]")
        for user in (buyer, seller)
        for n in range(20)
    )
    many = _queries_to_create_and_ship(product, buyer)
    assert few == many
    assert expo.stats.send_requests == 0  # never committed: no HTTP


def test_changing_status_in_the_admin_notifies(order, expo, committed, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    with committed():
        response = client.post(
            f"/admin/orders/order/{order.pk}/change/",
            {"product": order.product_id, "buyer": order.buyer_id, "status": "delivered"},
        )
    assert response.status_code == 302, response.content[:500]
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been delivered"]


def test_saving_an_order_in_the_admin_says_its_notification_was_queued(
    admin_client, order, buyer, expo
):
    response = admin_client.post(
        reverse("admin:orders_order_change", args=[order.pk]),
        {"product": order.product_id, "buyer": buyer.pk, "status": "shipped"},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("Notification queued for alice" in m and "has been shipped" in m for m in shown)
    # Saving without a change queues nothing, and says nothing about it.
    response = admin_client.post(
        reverse("admin:orders_order_change", args=[order.pk]),
        {"product": order.product_id, "buyer": buyer.pk, "status": "shipped"},
        follow=True,
    )
    assert not any("queued" in str(m) for m in response.context["messages"])


def test_queryset_update_sends_nothing_and_saving_each_row_is_the_alternative(
    order, product, buyer, expo, committed
):
    with committed():
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    assert sent_to(expo, BUYER_TOKEN) == []
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PENDING)
    with committed():
        with transaction.atomic():
            for each in Order.objects.filter(buyer=buyer):
                each.status = Order.Status.CANCELLED
                each.save(update_fields=["status"])
    assert bodies(expo, BUYER_TOKEN) == ["Your order has been cancelled"]


def test_bulk_update_then_send_bulk_is_the_other_alternative(
    order, product, buyer, expo, committed, django_user_model
):
    import push

    second_buyer = django_user_model.objects.create_user(username="carol", first_name="Carol")
    PushToken.objects.create(user=second_buyer, token="ExponentPushToken[carol-phone-ccccc]")
    with committed():
        Order.objects.create(product=product, buyer=second_buyer)
    expo.reset()
    with committed():
        with transaction.atomic():
            orders = Order.objects.filter(product=product, status="pending")
            buyer_ids = list(orders.values_list("buyer_id", flat=True).distinct())
            orders.update(status=Order.Status.CANCELLED)
            push.send_bulk(
                buyer_ids,
                "Order Update",
                "Your order has been cancelled",
                data={"type": "order"},
                type="order",
            )
    assert sorted(m["to"] for m in expo.delivered) == sorted(
        [BUYER_TOKEN, "ExponentPushToken[carol-phone-ccccc]"]
    )
    assert {m["body"] for m in expo.delivered} == {"Your order has been cancelled"}
