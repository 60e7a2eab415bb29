"""Registering and removing a user's devices."""

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from push.models import PushToken
from push.tokens import mask_token

logger = logging.getLogger(__name__)


def register_device(user: AbstractBaseUser, token: str, device_type: str) -> tuple[PushToken, bool]:
    """Give `token` to `user` and activate it; return it and whether it was new.

    A token is one device. If another account holds it, the device switched accounts: the
    token moves to `user` (update_or_create locks the row, so concurrent registrations of
    one token cannot both insert).
    """
    previous_owner = PushToken.objects.filter(token=token).values_list("user_id", flat=True).first()
    push_token, created = PushToken.objects.update_or_create(
        token=token,
        defaults={
            "user": user,
            "device_type": device_type,
            "is_active": True,
            # Registered again: it is live, whatever deactivated it before.
            "last_registered_at": timezone.now(),
            "deactivated_at": None,
            "deactivation_reason": "",
        },
    )
    if previous_owner is not None and previous_owner != user.pk:
        logger.info(
            "Device %s moved from user %s to user %s", mask_token(token), previous_owner, user.pk
        )
    return push_token, created


def remove_device(user: AbstractBaseUser, token: str) -> int:
    """Delete `token` if `user` owns it; return how many tokens were deleted (0 or 1)."""
    deleted, _ = PushToken.objects.filter(user=user, token=token).delete()
    return deleted
