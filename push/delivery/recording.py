"""Recording a chunk's answers: a delivery row per device, then each notification's status."""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import BigIntegerField, F, IntegerField, TextField
from django.utils import timezone

from push.conf import max_age_of, push_settings
from push.delivery.claims import RELEASED, held_by
from push.delivery.outcomes import ErrorSeen, act_on_errors
from push.delivery.reports import DeliveryReport
from push.delivery.rowvalues import per_row
from push.delivery.status import decide
from push.delivery.targets import Chunk, Target
from push.errors import DEVICE_PAUSED, RATE_EXCEEDED
from push.metrics import counters
from push.models import DeliveryStatus, NotificationLog, NotificationStatus, PushDelivery
from push.transports import Ticket

logger = logging.getLogger(__name__)


def record(chunk: Chunk, tickets: list[Ticket], report: DeliveryReport) -> None:
    """Store the tickets of one chunk, act on their errors, settle each notification."""
    by_notification: dict[int, list[Ticket]] = defaultdict(list)
    deliveries = []
    errors = []
    answered = list(zip(chunk.targets, tickets, strict=True))
    for target, until in chunk.paused:
        ticket = Ticket.failed(
            DEVICE_PAUSED,
            f"Not sent: the device is paused until {until:%Y-%m-%d %H:%M:%S} UTC after "
            f"{RATE_EXCEEDED}.",
        )
        answered.append((target, ticket))
    for target, ticket in answered:
        # A digest's ticket is every item's: each gets its delivery row, same ticket id.
        for notification in target.covers:
            by_notification[notification.pk].append(ticket)
            deliveries.append(_delivery_row(target, notification, ticket))
        counters.TICKETS.labels("ok" if ticket.ok else ticket.error).inc()
        if not ticket.ok:
            report.errors[ticket.error] += 1
            errors.append(ErrorSeen(ticket.error, target.token_id, target.token, ticket.message))
    if deliveries:
        PushDelivery.objects.bulk_create(
            deliveries,
            update_conflicts=True,
            unique_fields=["notification", "token"],
            update_fields=[
                "push_token",
                "status",
                "ticket_id",
                "error",
                "error_message",
                "updated_at",
            ],
        )
    report.deactivated_tokens += act_on_errors(errors, "tickets")
    _settle(chunk, by_notification, report)


def _delivery_row(target: Target, notification: NotificationLog, ticket: Ticket) -> PushDelivery:
    if ticket.ok:
        status = DeliveryStatus.ACCEPTED
    elif ticket.rule.retry:
        status = DeliveryStatus.RETRYING
    else:
        status = DeliveryStatus.FAILED
    return PushDelivery(
        notification_id=notification.pk,
        push_token_id=target.token_id,
        token=target.token,
        status=status,
        ticket_id=ticket.id or "",
        error=ticket.error or "",
        error_message=ticket.message,
        updated_at=timezone.now(),
    )


def retry_until(notification: NotificationLog) -> datetime:
    """Return until when a notification is worth retrying: its type's maximum age after it
    was made (MAX_AGE_SECONDS), or RETRY_FOR_SECONDS where its type has none."""
    age = max_age_of(notification.type)
    if age is None:
        age = timedelta(seconds=push_settings.RETRY_FOR_SECONDS)
    return notification.created_at + age


def _settle(chunk: Chunk, by_notification: dict[int, list[Ticket]], report: DeliveryReport) -> None:
    """Decide each notification's status and write them with one UPDATE per outcome."""
    now = timezone.now()
    groups: dict[tuple, list[NotificationLog]] = defaultdict(list)
    for target in chunk.targets:
        if target.digest is not None:
            for member in target.digest.members:
                member.pushed_with = target.digest.lead.pk
    for notification in chunk.notifications:
        tickets = by_notification.get(notification.pk, [])
        outcome = decide(
            tickets,
            attempts_before=notification.attempts,
            previously_accepted=chunk.already_accepted.get(notification.pk, 0),
            now=now,
            retry_until=retry_until(notification),
            retry_seconds=push_settings.DELIVERY_RETRY_SECONDS,
            retry_max_seconds=push_settings.DELIVERY_RETRY_MAX_SECONDS,
        )
        notification.status = outcome.status
        notification.successful = outcome.successful
        notification.sent_to_tokens = outcome.sent_to_tokens
        notification.error_message = outcome.error_message
        notification.attempts = outcome.attempts
        notification.next_attempt_at = outcome.next_attempt_at
        groups[(outcome.status, outcome.successful, outcome.next_attempt_at)].append(notification)
        report.count(outcome.status, devices=len(tickets))
        if outcome.status != NotificationStatus.PENDING:
            counters.NOTIFICATIONS.labels(notification.type, outcome.status).inc()
    # Errors quote each device, so rows of one outcome may differ in detail: one UPDATE per
    # outcome all the same, with per-row values where they differ. Only rows this claimer
    # still holds are written: one whose lease was lost is its new holder's to record.
    held = held_by(chunk.notifications)
    for (status, successful, next_at), rows in groups.items():
        written = held.filter(pk__in=[row.pk for row in rows]).update(
            status=status,
            successful=successful,
            next_attempt_at=next_at,
            sent_to_tokens=per_row(rows, "sent_to_tokens", IntegerField()),
            error_message=per_row(rows, "error_message", TextField()),
            pushed_with=per_row(rows, "pushed_with", BigIntegerField()),
            attempts=F("attempts") + 1,
            updated_at=now,
            **RELEASED,
        )
        if written < len(rows):
            logger.warning(
                "%d notification(s) were claimed by another worker while in flight: their "
                "outcome is left to it",
                len(rows) - written,
            )
