"""When and why a device token stops receiving, and the alerts an operator must see.

Every deactivation goes through `retire_tokens()`, which records the time and the reason:
an Expo ticket or receipt code (e.g. DeviceNotRegistered) or one of `DeactivationReason`.
Registering a token again (push.api.devices) clears both. `record_operator_alert()` keeps the
errors that need an operator (the app's credentials or configuration, see push.delivery.outcomes)
so the admin overview can show the last one.
"""

from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from push.models import OperatorAlert, PushToken


class DeactivationReason(models.TextChoices):
    """Reasons of our own; Expo's codes (DeviceNotRegistered, ...) are stored as they are."""

    REMOVED_BY_APP = "removed_by_app", "Removed by the app"
    ACCOUNT_SWITCH = "account_switch", "The device switched accounts"
    STALE = "stale", "Not registered again for a long time"
    BY_HAND = "by_hand", "Deactivated by hand"


def retire_tokens(token_ids: Iterable[int], reason: str) -> int:
    """Deactivate the active tokens among `token_ids` for `reason`; return how many.

    Tokens already inactive keep their first reason and time.
    """
    ids = list(token_ids)
    if not ids:
        return 0
    return PushToken.objects.filter(pk__in=ids, is_active=True).update(
        is_active=False, deactivated_at=timezone.now(), deactivation_reason=reason[:64]
    )


def reactivate_tokens(token_ids: Iterable[int]) -> int:
    """Activate these tokens again, forgetting why they were deactivated; return how many."""
    ids = list(token_ids)
    if not ids:
        return 0
    return PushToken.objects.filter(pk__in=ids, is_active=False).update(
        is_active=True, deactivated_at=None, deactivation_reason=""
    )


def record_operator_alert(code: str, count: int, source: str, message: str = "") -> None:
    """Remember an error that needs an operator (it is also logged at ERROR by the caller)."""
    OperatorAlert.objects.create(
        code=code[:64], count=count, source=source[:16], message=message[:1000]
    )
