"""When something happens to an order, who hears about it (the app's texts and payloads)."""

from orders.models import Order, Payment, Review
from push import Change, Notification, on_change, on_created, register_type

# The marketplace's kinds of notification. Orders and payments are urgent: they pass quiet
# hours and the hourly cap.
register_type("order", label="Orders", urgent=True, digest=("order update", "order updates"))
register_type(
    "payment", label="Payments", urgent=True, digest=("payment update", "payment updates")
)
register_type("product", label="Products", digest=("product update", "product updates"))
register_type("review", label="Reviews", digest=("new review", "new reviews"))

ORDER_STATUS_TEXTS = {
    Order.Status.PROCESSING: "Your order is being processed",
    Order.Status.SHIPPED: "Your order has been shipped",
    Order.Status.DELIVERED: "Your order has been delivered",
    Order.Status.CANCELLED: "Your order has been cancelled",
}


def first_name(user) -> str:
    return user.first_name or user.get_username()


@on_created("orders.Order")
def new_order(order: Order) -> Notification:
    return Notification(
        to=order.product.seller_id,
        title="New Order! 🎉",
        body=f"{first_name(order.buyer)} ordered {order.product.name}",
        data={"type": "order", "orderId": str(order.id)},
        type="order",
    )


@on_change("orders.Order", "status", to=ORDER_STATUS_TEXTS)
def order_status_changed(order: Order, change: Change) -> Notification:
    return Notification(
        to=order.buyer_id,
        title="Order Update",
        body=ORDER_STATUS_TEXTS[change.new],
        data={"type": "order", "orderId": str(order.id)},
        type="order",
    )


@on_change("orders.Payment", "status", to=[Payment.Status.CONFIRMED])
def payment_confirmed(payment: Payment, change: Change) -> Notification:
    order = payment.order
    return Notification(
        to=order.buyer_id,
        title="Payment Confirmed ✅",
        body=f"Payment for {order.product.name} was successful",
        data={"type": "payment", "orderId": str(order.id)},
        type="payment",
    )


@on_created("orders.Review")
def new_review(review: Review) -> Notification:
    product = review.product
    return Notification(
        to=product.seller_id,
        title="New Review ⭐",
        body=f'Your product "{product.name}" received a {review.rating}-star review',
        data={"type": "review", "productId": str(product.id)},
        type="review",
    )
