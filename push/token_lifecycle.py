"""When and why a device token stops receiving, and the alerts an operator must see.

A deactivation records its time and reason: `retire_tokens()` for an Expo ticket or receipt
code (e.g. DeviceNotRegistered, from push.delivery.outcomes.act_on_errors), staleness
(push.retention) and the admin's action; push.api.devices.remove_device for the app's
removal (`removed_by_app`). A device that switches accounts stays active for its new owner
and gets `last_switched_at`. Registering a token again clears the reason and time.
`record_operator_alert()` keeps the errors that need an operator (the app's credentials or
configuration) so the admin overview can show the last one.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db import models
from django.db.models import F

from push import clock
from push.metrics import counters
from push.models import OperatorAlert, PushToken


class DeactivationReason(models.TextChoices):
    """Reasons of our own; Expo's codes (DeviceNotRegistered, ...) are stored as they are."""

    REMOVED_BY_APP = "removed_by_app", "Removed by the app"
    STALE = "stale", "Not registered again for a long time"
    BY_HAND = "by_hand", "Deactivated by hand"


def retire_tokens(token_ids: Iterable[int], reason: str) -> int:
    """Deactivate the active tokens among `token_ids` for `reason`; return how many.

    Tokens already inactive keep their first reason and time.
    """
    ids = list(token_ids)
    if not ids:
        return 0
    retired = (
        PushToken.objects.active()
        .filter(pk__in=ids)
        .update(is_active=False, deactivated_at=clock.now(), deactivation_reason=reason[:64])
    )
    count_deactivated(reason, retired)
    return retired


def count_deactivated(reason: str, count: int) -> None:
    """Add `count` deactivations for `reason` to the metrics (push_tokens_deactivated)."""
    if count:
        counters.TOKENS_DEACTIVATED.labels(reason[:64]).inc(count)


def reactivate_tokens(token_ids: Iterable[int]) -> int:
    """Activate these tokens again, forgetting why they were deactivated; return how many."""
    ids = list(token_ids)
    if not ids:
        return 0
    return PushToken.objects.filter(pk__in=ids, is_active=False).update(
        is_active=True, deactivated_at=None, deactivation_reason=""
    )


# Alerts of one code and source within this long are one row, counted up.
ALERT_COALESCE = timedelta(hours=1)


def record_operator_alert(code: str, count: int, source: str, message: str = "") -> None:
    """Remember an error that needs an operator (it is also logged at ERROR by the caller).

    A code that keeps failing (revoked credentials fail every chunk) is one row per hour,
    counted up, not a row per chunk.
    """
    recent = OperatorAlert.objects.filter(
        code=code[:64], source=source[:16], created_at__gte=clock.now() - ALERT_COALESCE
    )
    if not recent.update(count=F("count") + count):
        OperatorAlert.objects.create(
            code=code[:64], count=count, source=source[:16], message=message[:1000]
        )
