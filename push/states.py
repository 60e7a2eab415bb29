"""Where a notification, a delivery and a device stand: the words every room shares.

The stored statuses are the models' choices. An operator sees a pending notification in
one of four words, the same in the admin's list, its page, its filter and the overview:
*pending* (due now: on its way, or waiting for a worker), *retrying* (an attempt failed;
the next is due later), *held* (by the user's quiet hours or hourly cap, until they end)
and *scheduled* (sent later on purpose: `push_send --at`, a badge update's time slot).
`outcome_of` is that decision for a loaded row; the QuerySets (push.querysets) make the
same decision in SQL, from the same words.
"""

from datetime import datetime
from typing import Any

from django.db import models

from push import clock, errors


class DeviceType(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class DeliveryStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted by Expo"
    RETRYING = "retrying", "Not accepted yet"
    FAILED = "failed", "Failed"


class ReceiptStatus(models.TextChoices):
    OK = "ok", "Delivered to Apple/Google"
    ERROR = "error", "Error"
    EXPIRED = "expired", "No receipt within 24 hours"


class Outcome(models.TextChoices):
    """A notification as the operator sees it: its status, with pending told apart."""

    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    PENDING = "pending", "Pending"  # due now: on its way, or waiting for a worker
    RETRYING = "retrying", "Retrying"  # an attempt failed; the next one is due later
    HELD = "held", "Held"  # by the user's quiet hours or hourly cap, until they end
    SCHEDULED = "scheduled", "Scheduled"  # due later on purpose (push_send --at, badges)


# The codes a held notification's error message starts with (push.delivery.screening).
HOLDING_CODES = (errors.QUIET_HOURS, errors.HOURLY_CAP)


def outcome_of(notification: Any, now: datetime | None = None) -> str:
    """Return the outcome of a notification row (status, due time, attempts, last error)."""
    if notification.status != NotificationStatus.PENDING:
        return notification.status
    due = notification.next_attempt_at
    if due is None or due <= (now or clock.now()):
        return Outcome.PENDING
    if errors.error_code(notification.error_message) in HOLDING_CODES:
        return Outcome.HELD
    return Outcome.RETRYING if notification.attempts else Outcome.SCHEDULED
