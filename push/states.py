"""Where a notification, a delivery and a device stand: the words every room shares.

The stored statuses are the models' choices. An operator sees one more word: a pending
notification due later is *held* (quiet hours, the hourly cap, a retry's backoff), not stuck.
`outcome_of` is that decision for a loaded row; the QuerySets (push.querysets) make the same
decision in SQL, from the same words.
"""

from datetime import datetime

from django.db import models

from push import clock


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
    """A notification as the operator sees it: its status, with pending split in two."""

    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    HELD = "held", "Held"  # pending, due later
    PENDING = "pending", "Pending"  # pending, due now (being delivered, or waiting for a worker)


def outcome_of(status: str, next_attempt_at: datetime | None, now: datetime | None = None) -> str:
    """Return sent, failed, skipped, held or pending for a notification's fields."""
    if status != NotificationStatus.PENDING:
        return status
    now = now or clock.now()
    if next_attempt_at is not None and next_attempt_at > now:
        return Outcome.HELD
    return Outcome.PENDING
