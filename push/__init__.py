"""Expo push notifications for Django.

    import push
    push.send(user, "Order Update", "Your order has been shipped",
              data={"type": "order", "orderId": "42"}, type="order")
    push.send_bulk(User.objects.filter(is_active=True), "Hello", "Welcome back!")

`push.outbox` collects what the locmem transport sent (reset it with `push.outbox.clear()`).
"""

from importlib import import_module
from typing import Any

from push.exceptions import PushConfigurationError, PushError
from push.types import register_type

__all__ = [
    "Change",
    "Notification",
    "PushConfigurationError",
    "PushError",
    "check_receipts",
    "on_change",
    "on_created",
    "outbox",
    "receivers_disabled",
    "redeliver",
    "register_type",
    "send",
    "send_bulk",
]

# Messages the locmem transport "sent", like django.core.mail.outbox.
outbox: list = []

# Names that need the app registry: imported on first use, so `import push` is always safe.
_LAZY = {
    "send": "push.sending",
    "send_bulk": "push.sending",
    "redeliver": "push.handoff",
    "check_receipts": "push.delivery.receipts",
    "Notification": "push.notification",
    "Change": "push.receivers",
    "on_created": "push.receivers",
    "on_change": "push.receivers",
    "receivers_disabled": "push.receivers",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'push' has no attribute {name!r}")
