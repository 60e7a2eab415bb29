"""What a delivery attempt means for a notification: a pure decision, no database."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from push.errors import NO_DEVICES, NO_DEVICES_MESSAGE
from push.models import NotificationStatus
from push.transports import Ticket


@dataclass(frozen=True)
class Decision:
    """What one delivery attempt decided for a notification: its state afterwards."""

    status: str
    successful: bool
    sent_to_tokens: int
    error_message: str | None
    attempts: int
    next_attempt_at: datetime | None


def decide(
    tickets: Sequence[Ticket],
    *,
    attempts_before: int,
    previously_accepted: int,
    now: datetime,
    retry_until: datetime,
    retry_seconds: float,
    retry_max_seconds: float,
) -> Decision:
    """Return the outcome of an attempt that got `tickets` (one per device tried).

    Sent if any device ever accepted it; pending again while some device may still take it
    on a retry that can happen by `retry_until`; skipped if there was no device at all;
    else failed. Retries are bounded by time, not by a count: an outage of any length is
    ridden out for as long as the notification is worth sending.
    """
    accepted = previously_accepted + sum(ticket.ok for ticket in tickets)
    to_retry = any(not ticket.ok and ticket.rule.retry for ticket in tickets)
    errors = Counter(ticket.error for ticket in tickets if not ticket.ok)
    attempts = attempts_before + 1
    next_attempt_at = now + retry_delay(attempts, retry_seconds, retry_max_seconds)
    if to_retry and next_attempt_at <= retry_until:
        status = NotificationStatus.PENDING
    elif accepted:
        status = NotificationStatus.SENT
    elif not tickets and not previously_accepted:
        status = NotificationStatus.SKIPPED
        errors[NO_DEVICES] += 1
    else:
        status = NotificationStatus.FAILED
    if status != NotificationStatus.PENDING:
        next_attempt_at = None
    return Decision(
        status=status,
        successful=bool(accepted),
        sent_to_tokens=previously_accepted + len(tickets),
        error_message=describe(errors, tickets) if errors else None,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
    )


def retry_delay(attempts: int, retry_seconds: float, retry_max_seconds: float) -> timedelta:
    """Return the wait after the `attempts`-th attempt: doubling, at most the maximum."""
    doublings = min(attempts - 1, 32)  # far past any maximum already; keeps the number small
    return timedelta(seconds=min(retry_seconds * 2**doublings, retry_max_seconds))


def describe(errors: Counter, tickets: Sequence[Ticket]) -> str:
    """Return the error message of a notification: each code, its devices, Expo's words."""
    if list(errors) == [NO_DEVICES]:
        return NO_DEVICES_MESSAGE
    messages = {ticket.error: ticket.message for ticket in tickets if not ticket.ok}
    parts = []
    for code, count in errors.most_common():
        detail = messages.get(code) or ""
        devices = f"{count} device{'s' if count != 1 else ''}"
        parts.append(f"{code} ({devices}){': ' + detail if detail else ''}")
    return "; ".join(parts)
