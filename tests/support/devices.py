"""A user's devices: Expo push tokens registered for them, and a push sent to them."""

import push
from push.models import NotificationLog, PushToken


def sent_to(user, tokens) -> NotificationLog:
    """Register `tokens` for `user`, then push.send one notification ("Hi", "There")."""
    for token in tokens:
        PushToken.objects.create(user=user, token=token)
    return push.send(user, "Hi", "There")
