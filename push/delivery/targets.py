"""Which devices a chunk of claimed notifications must reach now.

Preferences screen the chunk first: skipped notifications are recorded and held ones put
back for later, their claim given up. The rest are matched to their users' active tokens,
leaving out devices that already accepted them on an earlier attempt (and, for a silent
badge update, every device but iOS ones). A fixed number of queries per chunk, whatever
the number of users or devices.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import DateTimeField, TextField

from push import clock
from push.badges import is_badge_update
from push.delivery.claims import RELEASED, claim_released_with, held_by
from push.delivery.reports import DeliveryReport
from push.delivery.rowvalues import per_row
from push.delivery.screening import Screening, screen
from push.digests import Digest, group_released
from push.metrics import counters
from push.models import (
    DeviceType,
    NotificationLog,
    NotificationStatus,
    PushDelivery,
    PushToken,
)
from push.payloads import forget_payload


@dataclass
class Target:
    """One notification (or a digest of several) for one device."""

    notification: NotificationLog
    token_id: int | None
    token: str
    digest: Digest | None = None

    @property
    def covers(self) -> list[NotificationLog]:
        """The notifications this push delivers: the digest's, or the one."""
        return self.digest.members if self.digest is not None else [self.notification]


@dataclass
class Chunk:
    """Notifications going out together, their targets, and earlier accepted devices."""

    notifications: list[NotificationLog]
    targets: list[Target]
    already_accepted: dict[int, int]
    # Devices skipped because they are paused (MessageRateExceeded), with the pause's end.
    paused: list[tuple[Target, datetime]] = field(default_factory=list)


def prepare(claimed: list[NotificationLog], report: DeliveryReport) -> Chunk:
    """Set aside what preferences hold or skip; find the devices the rest must reach.

    Released notifications (they were held) of one user and type become one digest: the
    chunk first claims the rest of them, wherever they are in the outbox.
    """
    claimed = claimed + claim_released_with(claimed)
    now = clock.now()
    for notification in claimed:
        forget_payload(notification)  # a payload of an earlier delivery has a stale ttl
    screening = screen(claimed, now)
    if screening.skipped or screening.held:
        _set_aside(claimed, screening, report)
    notifications = [
        n for n in claimed if n.pk not in screening.skipped and n.pk not in screening.held
    ]
    tokens_by_user: dict[int, list[tuple[int, str]]] = defaultdict(list)
    ios_tokens: set[int] = set()
    paused_until: dict[int, datetime] = {}
    user_ids = {notification.user_id for notification in notifications}
    if user_ids:
        active = PushToken.objects.active().filter(user_id__in=user_ids)
        fields = ("id", "user_id", "token", "paused_until", "device_type")
        for token_id, user_id, token, until, device_type in active.values_list(*fields):
            tokens_by_user[user_id].append((token_id, token))
            if device_type == DeviceType.IOS:
                ios_tokens.add(token_id)
            if until is not None and until > now:
                paused_until[token_id] = until
    accepted: dict[int, set[str]] = defaultdict(set)
    retried = [notification.pk for notification in notifications if notification.attempts]
    if retried:
        rows = (
            PushDelivery.objects.accepted()
            .filter(notification_id__in=retried)
            .values_list("notification_id", "token")
        )
        for notification_id, token in rows:
            accepted[notification_id].add(token)
    digests = group_released(notifications)
    in_digest = {member.pk for digest in digests for member in digest.members}
    targets = [
        Target(notification, token_id, token)
        for notification in notifications
        if notification.pk not in in_digest
        for token_id, token in tokens_by_user[notification.user_id]
        if token not in accepted[notification.pk]
        # A badge update is for iOS icons: Android launchers count for themselves.
        and (token_id in ios_tokens or not is_badge_update(notification))
    ]
    # A digest goes to every device some item of it has not reached yet.
    targets += [
        Target(digest.lead, token_id, token, digest)
        for digest in digests
        for token_id, token in tokens_by_user[digest.lead.user_id]
        if any(token not in accepted[member.pk] for member in digest.members)
    ]
    # A paused device is skipped (recorded on its delivery row); the others still get it.
    paused = [(t, paused_until[t.token_id]) for t in targets if t.token_id in paused_until]
    if paused:
        targets = [target for target in targets if target.token_id not in paused_until]
    return Chunk(
        notifications,
        targets,
        {pk: len(tokens) for pk, tokens in accepted.items()},
        paused,
    )


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
            # Due again at its release, and fresh from then on (push.freshness).
            row.next_attempt_at = row.released_at = screening.held[row.pk]
            row.error_message = screening.held_because.get(row.pk)
            row.held = True
        until = per_row(held, "next_attempt_at", DateTimeField())
        held_by(notifications).filter(pk__in=[row.pk for row in held]).update(
            next_attempt_at=until,
            released_at=until,
            error_message=per_row(held, "error_message", TextField()),
            held=True,
            **RELEASED,
        )
    for pk in screening.skipped:
        counters.NOTIFICATIONS.labels(by_pk[pk].type, NotificationStatus.SKIPPED).inc()
    for pk in screening.held:
        counters.NOTIFICATIONS.labels(by_pk[pk].type, "held").inc()
    report.total += len(screening.skipped) + len(screening.held)
    report.skipped += len(screening.skipped)
    report.pending += len(screening.held)
