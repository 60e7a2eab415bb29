"""When something happens to an order, who hears about it (the app's texts and payloads).

Texts are translatable: each recipient reads them in their own language (push.languages),
the names filled in by `format_lazy` when that language is written.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from orders.models import Order, Payment, Review
from push import Change, Notification, on_change, on_created, register_type

# The marketplace's kinds of notification. Orders and payments are urgent: they pass quiet
# hours and the hourly cap.
register_type(
    "order",
    label="Orders",
    urgent=True,
    digest=ngettext_lazy("%(count)d order update", "%(count)d order updates", "count"),
)
register_type(
    "payment",
    label="Payments",
    urgent=True,
    digest=ngettext_lazy("%(count)d payment update", "%(count)d payment updates", "count"),
)
register_type(
    "product",
    label="Products",
    digest=ngettext_lazy("%(count)d product update", "%(count)d product updates", "count"),
)
register_type(
    "review",
    label="Reviews",
    digest=ngettext_lazy("%(count)d new review", "%(count)d new reviews", "count"),
)

ORDER_STATUS_TEXTS = {
    Order.Status.PROCESSING: _("Your order is being processed"),
    Order.Status.SHIPPED: _("Your order has been shipped"),
    Order.Status.DELIVERED: _("Your order has been delivered"),
    Order.Status.CANCELLED: _("Your order has been cancelled"),
}


def first_name(user) -> str:
    return user.first_name or user.get_username()


@on_created("orders.Order")
def new_order(order: Order) -> Notification:
    return Notification(
        to=order.product.seller_id,
        title=_("New Order! 🎉"),
        body=format_lazy(
            _("{buyer} ordered {product}"),
            buyer=first_name(order.buyer),
            product=order.product.name,
        ),
        data={"type": "order", "orderId": str(order.id)},
        type="order",
    )


@on_change("orders.Order", "status", to=ORDER_STATUS_TEXTS)
def order_status_changed(order: Order, change: Change) -> Notification:
    return Notification(
        to=order.buyer_id,
        title=_("Order Update"),
        body=ORDER_STATUS_TEXTS[change.new],
        data={"type": "order", "orderId": str(order.id)},
        type="order",
    )


@on_change("orders.Payment", "status", to=[Payment.Status.CONFIRMED])
def payment_confirmed(payment: Payment, change: Change) -> Notification:
    order = payment.order
    return Notification(
        to=order.buyer_id,
        title=_("Payment Confirmed ✅"),
        body=format_lazy(_("Payment for {product} was successful"), product=order.product.name),
        data={"type": "payment", "orderId": str(order.id)},
        type="payment",
    )


@on_created("orders.Review")
def new_review(review: Review) -> Notification:
    product = review.product
    return Notification(
        to=product.seller_id,
        title=_("New Review ⭐"),
        body=format_lazy(
            _('Your product "{product}" received a {rating}-star review'),
            product=product.name,
            rating=review.rating,
        ),
        data={"type": "review", "productId": str(product.id)},
        type="review",
    )
