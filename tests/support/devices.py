"""A user's devices: Expo push tokens registered for them, and a push sent to them."""

from django.contrib.auth import get_user_model

import push
from push.models import NotificationLog, PushToken


def register_devices(user, *tokens: str, device_type: str | None = None) -> list[PushToken]:
    """Register `tokens` as active devices of `user`, in that order; return their rows.

    `device_type` ("ios" or "android") is that of every one; without it, the model's
    default (android).
    """
    fields = {} if device_type is None else {"device_type": device_type}
    return [PushToken.objects.create(user=user, token=token, **fields) for token in tokens]


def sent_to(user, tokens) -> NotificationLog:
    """Register `tokens` for `user`, then push.send one notification ("Hi", "There")."""
    register_devices(user, *tokens)
    return push.send(user, "Hi", "There")


def users_with_devices(count: int, prefix: str = "bg") -> list[str]:
    """Create `count` users with one device each; return their tokens (one query each kind)."""
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"{prefix}{n}") for n in range(count)]
    )
    tokens = [f"ExponentPushToken[{prefix}-{user.pk}]" for user in users]
    PushToken.objects.bulk_create(
        PushToken(user=user, token=token) for user, token in zip(users, tokens, strict=True)
    )
    return tokens
