"""Acting on Expo's errors as push.errors' rules say: retire dead tokens, alert an operator.

Tickets (push.delivery.recording), receipts (push.delivery.receipts) and whole requests
that failed report what they saw as `ErrorSeen`; `act_on_errors` is the one place that does
something about it. Transports only report: they never act.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.db import transaction

from push.errors import rule_for
from push.token_lifecycle import record_operator_alert, retire_tokens
from push.tokens import mask_token, mask_tokens_in

logger = logging.getLogger(__name__)


class ErrorSeen(NamedTuple):
    """One error to act on: its code and, for a ticket or receipt, the device's token."""

    code: str | None
    token_id: int | None = None
    token: str = ""
    message: str = ""  # Expo's words, which may quote the token: masked before logging


def act_on_errors(errors: Iterable[ErrorSeen], source: str, *, record_alerts: bool = True) -> int:
    """Act on error codes as their rules say; return how many tokens were deactivated.

    Tokens of dead devices are deactivated, with the code as the reason (push.token_lifecycle);
    codes that mean the app's own configuration is wrong are logged at ERROR once per code,
    for an operator, stored as an `OperatorAlert` (the overview shows the last one) unless
    `record_alerts` is off, and never touch a token. `source` names where the errors come
    from (tickets, receipts, request) in that log line and on the alert.
    """
    dead_tokens: dict[str, set[int]] = defaultdict(set)
    seen_tokens: set[int] = set()
    alerts: Counter[str] = Counter()
    alert_messages: dict[str, str] = {}
    for error in errors:
        rule = rule_for(error.code)
        said = _said(error.message)
        if rule.deactivate_token and error.token_id is not None and error.code:
            if error.token_id not in seen_tokens:
                device = mask_token(error.token) if error.token else f"token #{error.token_id}"
                logger.info("Deactivating %s: %s%s", device, error.code, said)
                seen_tokens.add(error.token_id)
                dead_tokens[error.code].add(error.token_id)
        if rule.alert_operator and error.code:
            alerts[error.code] += 1
            alert_messages.setdefault(error.code, said)
    for code, count in alerts.items():
        logger.error(
            "Expo %s report %s for %d notification(s)%s: the app's push credentials or "
            "configuration need an operator; no device token was changed.",
            source,
            code,
            count,
            alert_messages.get(code, ""),
        )
    if alerts and record_alerts:
        _record_alerts(alerts, source)
    # retire_tokens also counts the deactivations by reason (push_tokens_deactivated).
    return sum(retire_tokens(ids, code) for code, ids in dead_tokens.items())


def _record_alerts(alerts: Counter[str], source: str) -> None:
    """Store the alerts for the overview; one that cannot be stored is still in the log."""
    try:
        with transaction.atomic():  # a savepoint: a failure leaves the caller's work alone
            for code, count in alerts.items():
                record_operator_alert(code, count, source)
    except Exception as exc:  # the database refused the row (it is down, or locked)
        logger.warning("Operator alert %s not stored: %s", ", ".join(alerts), exc)


def _said(message: str) -> str:
    """Return Expo's message as a log suffix, every token in it masked (or nothing)."""
    message = mask_tokens_in(message or "").strip()
    return f" (Expo: {message[:300]})" if message else ""
