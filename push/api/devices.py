"""Registering and removing a user's devices."""

import logging

from django.contrib.auth.base_user import AbstractBaseUser

from push import clock
from push.models import PushToken
from push.token_lifecycle import DeactivationReason, count_deactivated
from push.tokens import mask_token

logger = logging.getLogger(__name__)


def register_device(user: AbstractBaseUser, token: str, device_type: str) -> tuple[PushToken, bool]:
    """Give `token` to `user` and activate it; return it and whether it was new.

    A token is one device. If another account holds it, the device switched accounts: the
    token moves to `user`, and `last_switched_at` records when. One INSERT ... ON CONFLICT
    (token) DO UPDATE: concurrent registrations, removals and account switches of one token
    never collide (a read-then-write would raise IntegrityError when a removal slips in
    between). Registering clears any deactivation: the token is live again.
    """
    now = clock.now()
    previous_owner = PushToken.objects.filter(token=token).values_list("user_id", flat=True).first()
    switched = previous_owner is not None and previous_owner != user.pk
    update_fields = [
        "user",
        "device_type",
        "is_active",
        "updated_at",
        "last_registered_at",
        "deactivated_at",
        "deactivation_reason",
    ]
    if switched:
        update_fields.append("last_switched_at")
    [push_token] = PushToken.objects.bulk_create(
        [
            PushToken(
                user=user,
                token=token,
                device_type=device_type,
                is_active=True,
                last_registered_at=now,
                deactivated_at=None,
                deactivation_reason="",
                last_switched_at=now if switched else None,
            )
        ],
        update_conflicts=True,
        unique_fields=["token"],
        update_fields=update_fields,
    )
    created = previous_owner is None
    if switched:
        logger.info(
            "Device %s moved from user %s to user %s", mask_token(token), previous_owner, user.pk
        )
    return push_token, created


def remove_device(user: AbstractBaseUser, token: str) -> int:
    """Stop sending to `token` if `user` owns it; return how many were removed (0 or 1).

    The row is kept, inactive, with the reason `removed_by_app` and the time, so the admin
    can say what happened to the device; registering it again reactivates it. Removing a
    token already removed by the app removes nothing (0), as when it was deleted.
    """
    removed = (
        PushToken.objects.filter(user=user, token=token)
        .exclude(deactivation_reason=DeactivationReason.REMOVED_BY_APP)
        .update(
            is_active=False,
            deactivated_at=clock.now(),
            deactivation_reason=DeactivationReason.REMOVED_BY_APP,
        )
    )
    count_deactivated(DeactivationReason.REMOVED_BY_APP, removed)
    return removed
