"""What every Expo error code means for us, in one table.

Expo reports errors at three levels: the whole request (`{"errors": [{"code": ...}]}` or an
HTTP failure), one ticket (a recipient at send time) and one receipt (a recipient at delivery
time). Whatever the level, a code maps to one `ErrorRule`: retry it, retire the device's
token, or alert an operator because the app's own configuration is wrong. Codes not listed
are recorded and change nothing.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from push.tokens import mask_token, mask_tokens_in

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorRule:
    """What to do about an error code."""

    retry: bool = False
    deactivate_token: bool = False
    alert_operator: bool = False
    # The request was refused whole for one of its messages: send parts apart to find it.
    isolate: bool = False


# Codes this package produces itself for failures that never reached a valid Expo answer.
TIMEOUT = "TIMEOUT"
CONNECTION_ERROR = "CONNECTION_ERROR"
SERVER_ERROR = "SERVER_ERROR"  # an HTTP 5xx without a JSON error code (gateway pages)
INVALID_RESPONSE = "INVALID_RESPONSE"  # not JSON, or tickets that cannot be matched
HTTP_ERROR = "HTTP_ERROR"  # any other HTTP 4xx without a JSON error code
PAYLOAD_TOO_LARGE = "PayloadTooLarge"  # refused before sending: it would be MessageTooBig
NO_DEVICES = "NoActiveDevices"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
DEVICE_PAUSED = "DevicePaused"  # skipped: the device was pushed too fast (MessageRateExceeded)
RATE_EXCEEDED = "MessageRateExceeded"
# Expo's code for a request with a field of the wrong type or value (refused whole).
VALIDATION_ERROR = "VALIDATION_ERROR"

_RETRY = ErrorRule(retry=True)
_DEAD_TOKEN = ErrorRule(deactivate_token=True)
_OPERATOR = ErrorRule(alert_operator=True)
_RECORD = ErrorRule()

RULES: dict[str, ErrorRule] = {
    # Tickets and receipts.
    "DeviceNotRegistered": _DEAD_TOKEN,
    "MessageTooBig": _RECORD,
    RATE_EXCEEDED: _RETRY,
    # The app's FCM/APNs credentials are wrong: no device token is at fault.
    "InvalidCredentials": _OPERATOR,
    "MismatchSenderId": _OPERATOR,
    "ProviderError": _OPERATOR,
    "DeveloperError": _OPERATOR,
    "ExpoError": _RECORD,
    # Whole requests.
    TOO_MANY_REQUESTS: _RETRY,
    "INTERNAL_SERVER_ERROR": _RETRY,
    "UNAUTHORIZED": _OPERATOR,
    "PUSH_TOO_MANY_NOTIFICATIONS": _OPERATOR,
    "PUSH_TOO_MANY_EXPERIENCE_IDS": _OPERATOR,
    "PUSH_TOO_MANY_RECEIPTS": _OPERATOR,
    VALIDATION_ERROR: ErrorRule(isolate=True),
    # Ours.
    TIMEOUT: _RETRY,
    CONNECTION_ERROR: _RETRY,
    SERVER_ERROR: _RETRY,
    INVALID_RESPONSE: _RETRY,
    HTTP_ERROR: _RECORD,
    PAYLOAD_TOO_LARGE: _RECORD,
    DEVICE_PAUSED: _RECORD,
}


def rule_for(code: str | None) -> ErrorRule:
    """Return the rule for an error code; unknown codes are recorded and change nothing."""
    return RULES.get(code or "", _RECORD)


class ErrorSeen(NamedTuple):
    """One error to act on: its code and, for a ticket or receipt, the device's token."""

    code: str | None
    token_id: int | None = None
    token: str = ""
    message: str = ""  # Expo's words, which may quote the token: masked before logging


def act_on_errors(errors: Iterable[ErrorSeen], source: str) -> int:
    """Act on error codes as their rules say; return how many tokens were deactivated.

    Tokens of dead devices are deactivated; codes that mean the app's own configuration is
    wrong are logged at ERROR once per code, for an operator, and never touch a token.
    `source` names where the errors come from in that log line (tickets, receipts, ...).
    """
    errors = list(errors)
    dead_tokens: set[int] = set()
    alerts: Counter[str] = Counter()
    alert_messages: dict[str, str] = {}
    for error in errors:
        rule = rule_for(error.code)
        said = _said(error.message)
        if rule.deactivate_token and error.token_id is not None:
            if error.token_id not in dead_tokens:
                device = mask_token(error.token) if error.token else f"token #{error.token_id}"
                logger.info("Deactivating %s: %s%s", device, error.code, said)
            dead_tokens.add(error.token_id)
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
    if not dead_tokens:
        return 0
    from push import metrics
    from push.models import PushToken  # the transports import this module before models

    reasons = Counter(
        error.code
        for error in errors
        if error.token_id in dead_tokens and rule_for(error.code).deactivate_token
    )
    for reason, count in reasons.items():
        metrics.TOKENS_DEACTIVATED.labels(reason).inc(count)
    return PushToken.objects.filter(pk__in=dead_tokens).update(is_active=False)


def _said(message: str) -> str:
    """Return Expo's message as a log suffix, every token in it masked (or nothing)."""
    message = mask_tokens_in(message or "").strip()
    return f" (Expo: {message[:300]})" if message else ""
