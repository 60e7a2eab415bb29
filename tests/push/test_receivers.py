"""The receiver machinery: discovery, stable connections, and its system checks."""

import pytest
from django.core import checks

import push
from push import Notification, on_change, on_created
from push import receivers as receivers_module
from push.checks import (
    E002_UNTRACKED_FIELD,
    E003_UNKNOWN_MODEL,
    E008_UNKNOWN_FIELD,
    E014_MALFORMED_VALUES,
)


def test_the_domain_apps_declarations_are_discovered():
    names = {d.name for d in receivers_module.declarations()}
    assert names == {
        "orders.notifications.new_order",
        "orders.notifications.order_status_changed",
        "orders.notifications.payment_confirmed",
        "orders.notifications.new_review",
        "messaging.notifications.new_message",
    }


def test_the_project_passes_the_receiver_checks():
    assert checks.run_checks(tags=None) == []


def test_watching_an_untracked_field_fails_the_check(scratch_declarations):
    @on_change("orders.Product", "name")
    def renamed(product, change):  # pragma: no cover - never called
        return None

    errors = [e for e in checks.run_checks() if e.id == E002_UNTRACKED_FIELD]
    assert len(errors) == 1
    assert "orders.Product.name" in errors[0].msg
    assert errors[0].hint == "Add `tracker = FieldTracker(fields=['name'])` to Product."


def test_watching_a_field_the_models_tracker_leaves_out_says_to_add_it(scratch_declarations):
    @on_change("orders.Order", "buyer")
    def reassigned(order, change):  # pragma: no cover - never called
        return None

    [error] = [e for e in checks.run_checks() if e.id == E002_UNTRACKED_FIELD]
    assert error.hint == (
        "Add 'buyer' to the fields of Order.tracker: FieldTracker(fields=[..., 'buyer'])."
    )


def test_values_given_as_a_string_fail_the_check(scratch_declarations):
    @on_change("orders.Order", "status", to="shipped")
    def shipped(order, change):  # pragma: no cover - never called
        return None

    [error] = [e for e in checks.run_checks() if e.id == E014_MALFORMED_VALUES]
    assert "to='shipped', which is not a list of values: it never fires" in error.msg
    assert error.hint == "Give the values in a list: to=['shipped']."


def test_an_unknown_model_fails_the_check(scratch_declarations):
    @on_created("orders.Refund")
    def refunded(refund):  # pragma: no cover - never called
        return None

    # The push check alone: no signals.E001 about a receiver waiting for the model.
    assert [e.id for e in checks.run_checks()] == [E003_UNKNOWN_MODEL]


def test_an_unknown_field_fails_the_check_saying_so(scratch_declarations):
    @on_change("orders.Order", "colour")
    def recoloured(order, change):  # pragma: no cover - never called
        return None

    [error] = [e for e in checks.run_checks() if e.id.startswith("push.")]
    assert error.id == E008_UNKNOWN_FIELD
    assert "Order has no field 'colour'" in error.msg
    assert "status" in error.hint


@pytest.mark.django_db
def test_connecting_again_does_not_notify_twice(django_user_model, expo, committed):
    from decimal import Decimal

    from orders.models import Order, Product
    from push.models import PushToken

    receivers_module.connect_all()  # stable dispatch_uids: a second connect is a no-op
    seller = django_user_model.objects.create_user(username="s")
    buyer = django_user_model.objects.create_user(username="b")
    PushToken.objects.create(user=seller, token="ExponentPushToken[s-phone-zzzzzzzzzz]")
    product = Product.objects.create(seller=seller, name="Chair", price=Decimal(5))
    with committed():
        Order.objects.create(product=product, buyer=buyer)
    assert len(expo.delivered) == 1


def test_notification_is_a_plain_value():
    note = Notification(to=1, title="t", body="b")
    assert (note.type, note.data, note.options) == ("system", None, {})


@pytest.mark.django_db
def test_a_new_receiver_is_a_few_lines(scratch_declarations, order, buyer, expo, committed):
    """docs/receivers-and-types.md's recipe: declare, and any change of the field notifies
    (to left out)."""
    from orders.models import Order

    @on_change("orders.Order", "status")
    def any_status(order, change):
        return Notification(
            to=order.buyer_id,
            title="Status",
            body=f"{change.old} -> {change.new}",
            data={"type": "order", "orderId": str(order.pk)},
            type="order",
        )

    with committed():
        order.status = Order.Status.PENDING  # unchanged: nothing
        order.save()
        order.status = Order.Status.PROCESSING
        order.save()
    bodies = [m["body"] for m in expo.delivered if m["title"] == "Status"]
    assert bodies == ["pending -> processing"]


def test_receivers_can_be_switched_off_for_a_block(product, buyer, committed):
    from orders.models import Order
    from push.models import NotificationLog

    with committed(), push.receivers_disabled():
        Order.objects.create(product=product, buyer=buyer)
    assert not NotificationLog.objects.exists()
    with committed():
        Order.objects.create(product=product, buyer=buyer)
    assert NotificationLog.objects.count() == 1


def test_the_outbox_fixture_starts_empty(push_outbox):
    assert push_outbox == []
    push.outbox.append("x")


def test_a_failing_receiver_is_logged_and_the_save_goes_on(
    seller, caplog, scratch_declarations, settings
):
    from decimal import Decimal

    from orders.models import Product
    from push.conf import LOG

    assert settings.PUSH_NOTIFICATIONS.get("RECEIVER_ERRORS", LOG) == LOG

    @on_created("orders.Product")
    def listed(product):
        return Notification(to="shipped", title="New", body=product.name, type="product")

    product = Product.objects.create(seller=seller, name="Lamp", price=Decimal(5))
    assert product.pk is not None
    assert "tests.push.test_receivers" in caplog.text and "not a user id" in caplog.text


def test_with_receiver_errors_raised_a_broken_receiver_fails_the_save(
    seller, scratch_declarations, settings
):
    from decimal import Decimal

    from orders.models import Product
    from tests.support.settings import push_settings_update

    push_settings_update(settings, RECEIVER_ERRORS="raise")  # what the test kit sets

    @on_created("orders.Product")
    def listed(product):
        return Notification(to="shipped", title="New", body=product.name, type="product")

    with pytest.raises(ValueError, match="not a user id"):
        Product.objects.create(seller=seller, name="Lamp", price=Decimal(5))
