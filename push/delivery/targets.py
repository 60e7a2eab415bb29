"""Which devices a chunk of claimed notifications must reach now.

Preferences screen the chunk first: skipped notifications are recorded and held ones put
back for later, their claim given up. The rest are matched to their users' active tokens,
leaving out devices that already accepted them on an earlier attempt. A fixed number of
queries per chunk, whatever the number of users or devices.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import DateTimeField, TextField
from django.utils import timezone

from push.delivery.claims import RELEASED, held_by
from push.delivery.reports import DeliveryReport
from push.delivery.rowvalues import per_row
from push.models import (
    DeliveryStatus,
    NotificationLog,
    NotificationStatus,
    PushDelivery,
    PushToken,
)
from push.preferences.screening import Screening, screen


@dataclass
class Target:
    """One notification for one device."""

    notification: NotificationLog
    token_id: int | None
    token: str


@dataclass
class Chunk:
    """Notifications going out together, their targets, and earlier accepted devices."""

    notifications: list[NotificationLog]
    targets: list[Target]
    already_accepted: dict[int, int]


def prepare(claimed: list[NotificationLog], report: DeliveryReport) -> Chunk:
    """Set aside what preferences hold or skip; find the devices the rest must reach."""
    screening = screen(claimed, timezone.now())
    if screening.skipped or screening.held:
        _set_aside(claimed, screening, report)
    notifications = [
        n for n in claimed if n.pk not in screening.skipped and n.pk not in screening.held
    ]
    tokens_by_user: dict[int, list[tuple[int, str]]] = defaultdict(list)
    user_ids = {notification.user_id for notification in notifications}
    if user_ids:
        active = PushToken.objects.filter(user_id__in=user_ids, is_active=True)
        for token_id, user_id, token in active.values_list("id", "user_id", "token"):
            tokens_by_user[user_id].append((token_id, token))
    accepted: dict[int, set[str]] = defaultdict(set)
    retried = [notification.pk for notification in notifications if notification.attempts]
    if retried:
        rows = PushDelivery.objects.filter(
            notification_id__in=retried, status=DeliveryStatus.ACCEPTED
        ).values_list("notification_id", "token")
        for notification_id, token in rows:
            accepted[notification_id].add(token)
    targets = [
        Target(notification, token_id, token)
        for notification in notifications
        for token_id, token in tokens_by_user[notification.user_id]
        if token not in accepted[notification.pk]
    ]
    return Chunk(notifications, targets, {pk: len(tokens) for pk, tokens in accepted.items()})


def _set_aside(
    notifications: list[NotificationLog], screening: Screening, report: DeliveryReport
) -> None:
    """Record skipped notifications and put held ones back for later, releasing our lease.

    One UPDATE per skip reason (a handful) and one for every held row, whatever their
    hold times: each user's quiet hours end at their own time.
    """
    by_pk = {n.pk: n for n in notifications}
    skipped_by_reason: dict[str, list[int]] = defaultdict(list)
    for pk, reason in screening.skipped.items():
        by_pk[pk].status = NotificationStatus.SKIPPED
        by_pk[pk].error_message = reason
        skipped_by_reason[reason].append(pk)
    for reason, pks in skipped_by_reason.items():
        held_by(notifications).filter(pk__in=pks).update(
            status=NotificationStatus.SKIPPED, error_message=reason, **RELEASED
        )
    if screening.held:
        held = [by_pk[pk] for pk in screening.held]
        for row in held:
            row.next_attempt_at = screening.held[row.pk]
            row.error_message = screening.held_because.get(row.pk)
        held_by(notifications).filter(pk__in=[row.pk for row in held]).update(
            next_attempt_at=per_row(held, "next_attempt_at", DateTimeField()),
            error_message=per_row(held, "error_message", TextField()),
            **RELEASED,
        )
    report.total += len(screening.skipped) + len(screening.held)
    report.skipped += len(screening.skipped)
    report.pending += len(screening.held)
