"""The users schemathesis meets: Alice, whom it acts as, and Bob, whom it must never touch."""

from datetime import time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from push.auth.access_tokens import issue_access_token
from push.models import NotificationLog, NotificationPreference, PushToken
from push.preferences import update_preferences
from push.quiet_hours import QuietHours
from push.types import type_names

# Long enough for the whole run: an expired token would turn every answer into a 401.
TOKEN_LIFETIME = timedelta(hours=2)


def _user_with_data(username: str, devices: int, notifications: int):
    user = get_user_model().objects.create_user(username=username, password=f"pw-{username}")
    PushToken.objects.bulk_create(
        PushToken(user=user, token=f"ExponentPushToken[{username}-device-{n}]")
        for n in range(devices)
    )
    kinds = type_names()
    now = timezone.now()
    NotificationLog.objects.bulk_create(
        NotificationLog(
            user=user,
            type=kinds[n % len(kinds)],
            title=f"{username} {n}",
            body="seeded",
            data={"n": n},
            status="sent",
            created_at=now - timedelta(minutes=n),
            read_at=now if n % 3 == 0 else None,
        )
        for n in range(notifications)
    )
    # Quiet hours that do not hold the test endpoint's push now (until the fuzzer changes
    # them): six to eight hours from now.
    later = timezone.now() + timedelta(hours=6)
    update_preferences(
        user,
        {kinds[-1]: False},
        QuietHours(start=time(later.hour), end=time((later.hour + 2) % 24), timezone="UTC"),
    )
    return user


def seed() -> tuple[str, Any]:
    """Create both users; return Alice's access token and Bob."""
    alice = _user_with_data("alice", devices=2, notifications=60)
    bob = _user_with_data("bob", devices=2, notifications=20)
    return issue_access_token(alice, TOKEN_LIFETIME), bob


def snapshot(user) -> dict[str, list]:
    """Everything of `user`'s that the API could change, in a comparable form."""
    return {
        "tokens": list(
            PushToken.objects.filter(user=user)
            .order_by("token")
            .values_list("token", "device_type", "is_active", "updated_at")
        ),
        "tokens_named_like_theirs": list(
            PushToken.objects.filter(token__contains=user.get_username())
            .order_by("token")
            .values_list("token", "user_id")
        ),
        "notifications": list(
            NotificationLog.objects.filter(user=user)
            .order_by("pk")
            .values_list("pk", "type", "read_at", "status", "in_inbox")
        ),
        "preferences": list(
            NotificationPreference.objects.filter(user=user).values_list(
                "disabled_types", "quiet_start", "quiet_end", "timezone", "updated_at"
            )
        ),
    }
