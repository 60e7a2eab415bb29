"""The delivery engine: from pending NotificationLog rows to Expo tickets, recorded.

Work goes in chunks of rows. For each chunk the engine makes a fixed number of queries
(the users' active tokens, the devices already accepted on a retry, then the records of
the answers), whatever the number of users or devices, and overlaps the database work of
one chunk with the HTTP requests of the chunks before it.
"""

import logging
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    Case,
    DateTimeField,
    F,
    Field,
    IntegerField,
    TextField,
    Value,
    When,
)
from django.utils import timezone

from push.claims import claim_due, claim_ids, claim_rows
from push.conf import push_settings
from push.messages import badge_counts, build_payload
from push.models import (
    DeliveryStatus,
    NotificationLog,
    NotificationStatus,
    PushDelivery,
    PushToken,
)
from push.outcomes import NO_DEVICES
from push.preferences import Screening, screen
from push.reports import Report
from push.token_lifecycle import record_operator_alert, retire_tokens
from push.tokens import mask_token
from push.transports import BaseTransport, OutgoingMessage, Ticket, shared_transport
from push.transports.base import PendingSend

logger = logging.getLogger(__name__)

# Chunks whose HTTP requests may be in flight while the next chunk is prepared.
CHUNKS_IN_FLIGHT = 2


@dataclass
class DeliveryReport(Report):
    """What a delivery run did, notification by notification (the guide's summary keys)."""

    total: int = 0
    successful: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    devices: int = 0

    def headline(self) -> str:
        return (
            f"{self.total} notification(s): {self.successful} sent, {self.failed} failed, "
            f"{self.skipped} skipped, {self.pending} pending; {self.devices} device(s)"
        )


@dataclass
class _Target:
    notification: NotificationLog
    token_id: int | None
    token: str


@dataclass
class _Chunk:
    notifications: list[NotificationLog]
    targets: list[_Target]
    already_accepted: dict[int, int]


def deliver(
    notifications: Iterable[list[NotificationLog]],
    transport: BaseTransport | None = None,
    *,
    claimed: bool = False,
    on_chunk: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Deliver chunks of pending notifications; update them in place and in the database.

    Each chunk is claimed first (unless the caller `claimed` it), so a notification another
    worker holds is left alone. Chunks are taken from `notifications` while earlier ones
    are still in flight. `on_chunk` hears each chunk's report as it is recorded.
    """
    report = DeliveryReport()
    transport = transport or shared_transport()
    transport.open()
    in_flight: deque[tuple[_Chunk, PendingSend]] = deque()

    def record_oldest() -> None:
        chunk_report = DeliveryReport()
        _record(*in_flight.popleft(), chunk_report)
        report.add(chunk_report)
        if on_chunk is not None:
            on_chunk(chunk_report)

    for rows in notifications:
        pending = [row for row in rows if row.status == NotificationStatus.PENDING]
        chunk = _prepare(pending if claimed else claim_rows(pending), report)
        badges = badge_counts({target.notification.user_id for target in chunk.targets})
        messages = [
            OutgoingMessage(target.token, _payload(target.notification, badges))
            for target in chunk.targets
        ]
        in_flight.append((chunk, transport.submit(messages)))
        if len(in_flight) > CHUNKS_IN_FLIGHT:
            record_oldest()
    while in_flight:
        record_oldest()
    return report


def deliver_ids(ids: Iterable[int], transport: BaseTransport | None = None) -> DeliveryReport:
    """Claim and deliver the pending notifications with these primary keys."""
    ids = list(ids)
    size = push_settings.BATCH_SIZE
    chunks = (claim_ids(ids[start : start + size]) for start in range(0, len(ids), size))
    return deliver(chunks, transport, claimed=True)


def deliver_due(limit: int | None = None, transport: BaseTransport | None = None) -> DeliveryReport:
    """Claim and deliver up to `limit` due notifications (default: one batch)."""
    rows = claim_due(limit or push_settings.BATCH_SIZE)
    return deliver([rows], transport, claimed=True)


def _payload(notification: NotificationLog, badges: dict[int, int]) -> dict:
    # One payload per notification, shared by its devices.
    cached = getattr(notification, "_push_payload", None)
    if cached is None:
        options = notification.options
        if "badge" not in options and notification.user_id in badges:
            options = {**options, "badge": badges[notification.user_id]}
        cached = build_payload(
            notification.pk,
            notification.title,
            notification.body,
            notification.data,
            options,
        )
        notification._push_payload = cached
    return cached


def _prepare(claimed: list[NotificationLog], report: DeliveryReport) -> _Chunk:
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
        _Target(notification, token_id, token)
        for notification in notifications
        for token_id, token in tokens_by_user[notification.user_id]
        if token not in accepted[notification.pk]
    ]
    return _Chunk(notifications, targets, {pk: len(tokens) for pk, tokens in accepted.items()})


def _record(chunk: _Chunk, pending: PendingSend, report: DeliveryReport) -> None:
    """Store the tickets of one chunk and settle each notification's status."""
    tickets = pending.result()
    by_notification: dict[int, list[Ticket]] = defaultdict(list)
    deliveries = []
    dead_tokens = set()
    for target, ticket in zip(chunk.targets, tickets, strict=True):
        by_notification[target.notification.pk].append(ticket)
        deliveries.append(_delivery_row(target, ticket))
        if not ticket.ok:
            report.errors[ticket.error] += 1
            if ticket.rule.deactivate_token and target.token_id is not None:
                dead_tokens.add(target.token_id)
                logger.info("Deactivating %s: %s", mask_token(target.token), ticket.error)
    _alert_operator(tickets)
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
    if dead_tokens:
        report.deactivated_tokens += retire_tokens(dead_tokens, "DeviceNotRegistered")
    _settle(chunk, by_notification, report)


def _delivery_row(target: _Target, ticket: Ticket) -> PushDelivery:
    if ticket.ok:
        status = DeliveryStatus.ACCEPTED
    elif ticket.rule.retry:
        status = DeliveryStatus.RETRYING
    else:
        status = DeliveryStatus.FAILED
    return PushDelivery(
        notification_id=target.notification.pk,
        push_token_id=target.token_id,
        token=target.token,
        status=status,
        ticket_id=ticket.id or "",
        error=ticket.error or "",
        error_message=ticket.message,
        updated_at=timezone.now(),
    )


def _alert_operator(tickets: list[Ticket]) -> None:
    counts = Counter(t.error for t in tickets if not t.ok and t.rule.alert_operator)
    for code, count in counts.items():
        logger.error(
            "Expo reported %s for %d notification(s): the app's push credentials or "
            "configuration need an operator; no device token was changed.",
            code,
            count,
        )
        record_operator_alert(code, count, "ticket")


def _settle(
    chunk: _Chunk, by_notification: dict[int, list[Ticket]], report: DeliveryReport
) -> None:
    """Decide each notification's status and write them with one UPDATE per outcome."""
    now = timezone.now()
    groups: dict[tuple, list[NotificationLog]] = defaultdict(list)
    for notification in chunk.notifications:
        tickets = by_notification.get(notification.pk, [])
        previously_accepted = chunk.already_accepted.get(notification.pk, 0)
        accepted = previously_accepted + sum(ticket.ok for ticket in tickets)
        to_retry = [t for t in tickets if not t.ok and t.rule.retry]
        errors = Counter(t.error for t in tickets if not t.ok)
        attempts = notification.attempts + 1
        next_attempt_at = None
        if to_retry and attempts < push_settings.MAX_DELIVERY_ATTEMPTS:
            status = NotificationStatus.PENDING
            next_attempt_at = now + _retry_delay(attempts)
        elif accepted:
            status = NotificationStatus.SENT
        elif not tickets and not previously_accepted:
            status = NotificationStatus.SKIPPED
            errors[NO_DEVICES] += 1
        else:
            status = NotificationStatus.FAILED
        error_message = _describe(errors, tickets) if errors else None
        notification.status = status
        notification.successful = bool(accepted)
        notification.sent_to_tokens = previously_accepted + len(tickets)
        notification.error_message = error_message
        notification.attempts = attempts
        notification.next_attempt_at = next_attempt_at
        groups[(status, notification.successful, next_attempt_at)].append(notification)
        report.total += 1
        report.devices += len(tickets)
        if status == NotificationStatus.SENT:
            report.successful += 1
        elif status == NotificationStatus.FAILED:
            report.failed += 1
        elif status == NotificationStatus.SKIPPED:
            report.skipped += 1
        else:
            report.pending += 1
    # Errors quote each device, so rows of one outcome may differ in detail: one UPDATE per
    # outcome all the same, with per-row values where they differ.
    for (status, successful, next_at), rows in groups.items():
        NotificationLog.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=status,
            successful=successful,
            next_attempt_at=next_at,
            sent_to_tokens=_per_row(rows, "sent_to_tokens", IntegerField()),
            error_message=_per_row(rows, "error_message", TextField()),
            attempts=F("attempts") + 1,
            updated_at=now,
            **_RELEASED,
        )


def _per_row(rows: list[NotificationLog], name: str, output_field: Field) -> Value | Case:
    """Return an UPDATE value for `name`: a constant if all rows agree, else a CASE by pk."""
    values = {row.pk: getattr(row, name) for row in rows}
    if len(set(values.values())) == 1:
        return Value(next(iter(values.values())), output_field=output_field)
    return Case(
        *(
            When(pk=pk, then=Value(value, output_field=output_field))
            for pk, value in values.items()
        ),
        output_field=output_field,
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
        NotificationLog.objects.filter(pk__in=pks).update(
            status=NotificationStatus.SKIPPED, error_message=reason, **_RELEASED
        )
    if screening.held:
        held = [by_pk[pk] for pk in screening.held]
        for row in held:
            row.next_attempt_at = screening.held[row.pk]
            row.error_message = screening.held_because.get(row.pk)
        NotificationLog.objects.filter(pk__in=[row.pk for row in held]).update(
            next_attempt_at=_per_row(held, "next_attempt_at", DateTimeField()),
            error_message=_per_row(held, "error_message", TextField()),
            **_RELEASED,
        )
    report.total += len(screening.skipped) + len(screening.held)
    report.skipped += len(screening.skipped)
    report.pending += len(screening.held)


_RELEASED = {"locked_until": None, "lease_token": ""}


def _retry_delay(attempts: int) -> timedelta:
    base = push_settings.DELIVERY_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 3600))


def _describe(errors: Counter, tickets: list[Ticket]) -> str:
    if list(errors) == [NO_DEVICES]:
        return "User has no active device."
    messages = {t.error: t.message for t in tickets if not t.ok}
    parts = []
    for code, count in errors.most_common():
        detail = messages.get(code) or ""
        parts.append(
            f"{code} ({count} device{'s' if count != 1 else ''}){': ' + detail if detail else ''}"
        )
    return "; ".join(parts)
