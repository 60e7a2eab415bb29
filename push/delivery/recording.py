"""Recording a chunk's answers: a delivery row per device, then each notification's status.

What Expo accepted is recorded whatever the database does meanwhile. A chunk's recording is
one transaction, all or nothing, and it is tried again:
- on a fresh connection after a database error (a terminated connection, a failover, a
  lock timeout), for as long as the chunk's lease lasts: nobody else may claim, and send
  again, what this worker holds tickets for;
- without the rows that vanished meanwhile, when an insert breaks a foreign key: a user or
  a device deleted while its chunk was in flight takes its own rows with it, never its
  neighbours' (their delivery rows are kept, the device's as a token without its row).
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import BigIntegerField, F, IntegerField, TextField

from push import clock
from push.conf import push_settings
from push.delivery.claims import RELEASED, held_by
from push.delivery.outcomes import ErrorSeen, act_on_errors
from push.delivery.reports import DeliveryReport
from push.delivery.rowvalues import per_row
from push.delivery.status import Decision, decide
from push.delivery.targets import Chunk, Target
from push.errors import DEVICE_PAUSED, RATE_EXCEEDED
from push.freshness import retry_until
from push.metrics import counters
from push.models import DeliveryStatus, NotificationLog, PushDelivery, PushToken
from push.transports import Ticket

logger = logging.getLogger(__name__)

# Waits between attempts to record after a database error: doubling, at most the last.
RETRY_WAIT_SECONDS = 0.2
RETRY_WAIT_MAX_SECONDS = 5.0


@dataclass
class Vanished:
    """Rows of a chunk that were deleted while it was in flight."""

    notifications: set[int] = field(default_factory=set)
    tokens: set[int] = field(default_factory=set)


def record(chunk: Chunk, tickets: list[Ticket], report: DeliveryReport) -> None:
    """Store the tickets of one chunk, act on their errors, settle each notification.

    Retried through database errors and vanished rows (see the module's docstring); raises
    only if the database stays away for longer than the lease.
    """
    answered = _answered(chunk, tickets)
    now = clock.now()
    outcomes = _decide(chunk, answered, now)
    vanished, looked_for_vanished = Vanished(), False
    give_up_at = time.monotonic() + push_settings.LEASE_SECONDS
    wait = RETRY_WAIT_SECONDS
    while True:
        attempt = DeliveryReport()
        try:
            with transaction.atomic():
                lost = _write(chunk, answered, outcomes, now, attempt, vanished)
            break
        except IntegrityError:
            if looked_for_vanished:
                raise  # not a deleted row: a real fault, for the caller to log
            vanished, looked_for_vanished = _vanished(chunk), True
            logger.warning(
                "%d notification(s) and %d device(s) were deleted while their chunk was in "
                "flight: the rest of the chunk is recorded without them.",
                len(vanished.notifications),
                len(vanished.tokens),
            )
        except DatabaseError as exc:
            if connection.in_atomic_block or time.monotonic() + wait > give_up_at:
                raise
            logger.warning(
                "Recording %d notification(s) that Expo answered failed (%s): trying again on "
                "a fresh connection in %.1f s.",
                len(chunk.notifications),
                type(exc).__name__,
                wait,
            )
            connection.close()
            time.sleep(wait)
            wait = min(wait * 2, RETRY_WAIT_MAX_SECONDS)
    if lost:
        logger.warning(
            "%d notification(s) were claimed by another worker while in flight: their "
            "outcome is left to it",
            lost,
        )
    _apply(chunk, outcomes, vanished)
    _count(chunk, answered, outcomes, vanished)
    report.add(attempt)


def _answered(chunk: Chunk, tickets: list[Ticket]) -> list[tuple[Target, Ticket]]:
    """Each target with its ticket; paused devices get a ticket saying they were skipped."""
    answered = list(zip(chunk.targets, tickets, strict=True))
    for target, until in chunk.paused:
        ticket = Ticket.failed(
            DEVICE_PAUSED,
            f"Not sent: the device is paused until {until:%Y-%m-%d %H:%M:%S} UTC after "
            f"{RATE_EXCEEDED}.",
        )
        answered.append((target, ticket))
    return answered


def _decide(
    chunk: Chunk, answered: list[tuple[Target, Ticket]], now
) -> dict[int, tuple[Decision, int]]:
    """Each notification's outcome and the digest that carried it (pure: no database)."""
    tickets_of: dict[int, list[Ticket]] = defaultdict(list)
    for target, ticket in answered:
        # A digest's ticket is every item's.
        for notification in target.covers:
            tickets_of[notification.pk].append(ticket)
    pushed_with = {
        member.pk: target.digest.lead.pk
        for target in chunk.targets
        if target.digest is not None
        for member in target.digest.members
    }
    return {
        notification.pk: (
            decide(
                tickets_of.get(notification.pk, []),
                attempts_before=notification.attempts,
                previously_accepted=chunk.already_accepted.get(notification.pk, 0),
                now=now,
                retry_until=retry_until(notification),
                retry_seconds=push_settings.DELIVERY_RETRY_SECONDS,
                retry_max_seconds=push_settings.DELIVERY_RETRY_MAX_SECONDS,
            ),
            pushed_with.get(notification.pk, notification.pushed_with),
        )
        for notification in chunk.notifications
    }


def _write(
    chunk: Chunk,
    answered: list[tuple[Target, Ticket]],
    outcomes: dict[int, tuple[Decision, int]],
    now,
    report: DeliveryReport,
    vanished: Vanished,
) -> int:
    """Write the chunk's delivery rows and statuses; return how many rows another holds."""
    deliveries = [
        _delivery_row(target, notification, ticket, now, vanished)
        for target, ticket in answered
        for notification in target.covers
        if notification.pk not in vanished.notifications
    ]
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
    errors = []
    for target, ticket in answered:
        if not ticket.ok:
            report.errors[ticket.error] += 1
            errors.append(ErrorSeen(ticket.error, target.token_id, target.token, ticket.message))
    report.deactivated_tokens += act_on_errors(errors, "tickets")
    return _settle(chunk, answered, outcomes, now, report, vanished)


def _delivery_row(
    target: Target, notification: NotificationLog, ticket: Ticket, now, vanished: Vanished
) -> PushDelivery:
    if ticket.ok:
        status = DeliveryStatus.ACCEPTED
    elif ticket.rule.retry:
        status = DeliveryStatus.RETRYING
    else:
        status = DeliveryStatus.FAILED
    return PushDelivery(
        notification_id=notification.pk,
        push_token_id=None if target.token_id in vanished.tokens else target.token_id,
        token=target.token,
        status=status,
        ticket_id=ticket.id or "",
        error=ticket.error or "",
        error_message=ticket.message,
        updated_at=now,
    )


def _settle(
    chunk: Chunk,
    answered: list[tuple[Target, Ticket]],
    outcomes: dict[int, tuple[Decision, int]],
    now,
    report: DeliveryReport,
    vanished: Vanished,
) -> int:
    """Write each notification's status: one UPDATE per outcome, per-row values inside.

    Errors quote each device, so rows of one outcome may differ in detail. Only rows this
    claimer still holds are written: one whose lease was lost is its new holder's to record.
    Returns how many were not written for that reason.
    """
    devices: dict[int, int] = defaultdict(int)
    for target, _ in answered:
        for notification in target.covers:
            devices[notification.pk] += 1
    groups: dict[tuple, list[tuple[NotificationLog, Decision, int]]] = defaultdict(list)
    for notification in chunk.notifications:
        if notification.pk in vanished.notifications:
            continue
        outcome, pushed_with = outcomes[notification.pk]
        key = (outcome.status, outcome.successful, outcome.next_attempt_at)
        groups[key].append((notification, outcome, pushed_with))
        report.count(outcome.status, devices=devices[notification.pk])
    held = held_by(chunk.notifications)
    lost = 0
    for (status, successful, next_at), rows in groups.items():
        values = [
            _Row(n.pk, o.sent_to_tokens, o.error_message, pushed_with) for n, o, pushed_with in rows
        ]
        written = held.filter(pk__in=[row.pk for row in values]).update(
            status=status,
            successful=successful,
            next_attempt_at=next_at,
            sent_to_tokens=per_row(values, "sent_to_tokens", IntegerField()),
            error_message=per_row(values, "error_message", TextField()),
            pushed_with=per_row(values, "pushed_with", BigIntegerField()),
            attempts=F("attempts") + 1,
            updated_at=now,
            **RELEASED,
        )
        lost += len(rows) - written
    return lost


@dataclass(frozen=True)
class _Row:
    """What one UPDATE writes for one notification (per_row reads these by name)."""

    pk: int
    sent_to_tokens: int
    error_message: str | None
    pushed_with: int | None


def _vanished(chunk: Chunk) -> Vanished:
    """Return the chunk's notifications and devices that no longer exist (two queries)."""
    notification_ids = {notification.pk for notification in chunk.notifications}
    token_ids = {target.token_id for target in chunk.targets} - {None}
    token_ids |= {target.token_id for target, _ in chunk.paused} - {None}
    alive = set(
        NotificationLog.objects.filter(pk__in=notification_ids).values_list("pk", flat=True)
    )
    devices = set(PushToken.objects.filter(pk__in=token_ids).values_list("pk", flat=True))
    return Vanished(notification_ids - alive, token_ids - devices)


def _apply(chunk: Chunk, outcomes: dict[int, tuple[Decision, int]], vanished: Vanished) -> None:
    """Tell the caller's instances what was recorded (the inline caller reads them)."""
    for notification in chunk.notifications:
        if notification.pk in vanished.notifications:
            continue
        outcome, pushed_with = outcomes[notification.pk]
        notification.status = outcome.status
        notification.successful = outcome.successful
        notification.sent_to_tokens = outcome.sent_to_tokens
        notification.error_message = outcome.error_message
        notification.attempts = outcome.attempts
        notification.next_attempt_at = outcome.next_attempt_at
        notification.pushed_with = pushed_with


def _count(
    chunk: Chunk,
    answered: list[tuple[Target, Ticket]],
    outcomes: dict[int, tuple[Decision, int]],
    vanished: Vanished,
) -> None:
    """Add what was recorded to the metrics, once (a retried recording counts once)."""
    for _, ticket in answered:
        counters.TICKETS.labels("ok" if ticket.ok else ticket.error).inc()
    for notification in chunk.notifications:
        outcome, _ = outcomes[notification.pk]
        if notification.pk not in vanished.notifications and outcome.status != "pending":
            counters.NOTIFICATIONS.labels(notification.type, outcome.status).inc()
