"""Every error code the push layer can record, and what each one means, in one table.

Expo reports errors at three levels: the whole request (`{"errors": [{"code": ...}]}` or an
HTTP failure), one ticket (a recipient at send time) and one receipt (a recipient at delivery
time). We add codes of our own for failures that never reached a valid Expo answer, and the
screening's reasons for not pushing a notification now. Whatever the source, a code maps to
one `ErrorRule`: retry it, retire the device's token, or alert an operator because the app's
own configuration is wrong. Codes not listed are recorded and change nothing.

This module is the bottom of the house: transports, delivery, the admin and the overview all
read it, and it imports nothing of push.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorRule:
    """What to do about an error code."""

    retry: bool = False
    deactivate_token: bool = False
    alert_operator: bool = False
    # The request was refused whole for one of its messages: send parts apart to find it.
    isolate: bool = False


# Expo's codes that mean something to us (tickets, receipts, whole requests).
DEVICE_NOT_REGISTERED = "DeviceNotRegistered"
MESSAGE_TOO_BIG = "MessageTooBig"
RATE_EXCEEDED = "MessageRateExceeded"
INVALID_CREDENTIALS = "InvalidCredentials"
MISMATCH_SENDER_ID = "MismatchSenderId"
PROVIDER_ERROR = "ProviderError"
DEVELOPER_ERROR = "DeveloperError"
EXPO_ERROR = "ExpoError"  # a ticket or receipt with an error but no code
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
UNAUTHORIZED = "UNAUTHORIZED"
TOO_MANY_NOTIFICATIONS = "PUSH_TOO_MANY_NOTIFICATIONS"
MIXED_PROJECTS = "PUSH_TOO_MANY_EXPERIENCE_IDS"
TOO_MANY_RECEIPTS = "PUSH_TOO_MANY_RECEIPTS"
# A request with a field of the wrong type or value (refused whole).
VALIDATION_ERROR = "VALIDATION_ERROR"

# Ours, for failures that never reached a valid Expo answer (the transport's).
TIMEOUT = "TIMEOUT"
CONNECTION_ERROR = "CONNECTION_ERROR"
SERVER_ERROR = "SERVER_ERROR"  # an HTTP 5xx without a JSON error code (gateway pages)
INVALID_RESPONSE = "INVALID_RESPONSE"  # not JSON, or tickets that cannot be matched
HTTP_ERROR = "HTTP_ERROR"  # any other HTTP 4xx without a JSON error code

# Ours, for notifications that were never offered to Expo, or not to every device.
PAYLOAD_TOO_LARGE = "PayloadTooLarge"  # refused before sending: it would be MessageTooBig
NO_DEVICES = "NoActiveDevices"
DEVICE_PAUSED = "DevicePaused"  # skipped: the device was pushed too fast (MessageRateExceeded)

# The screening's reasons (push.delivery.screening): skipped for good, or held for later.
READ_IN_APP = "ReadInApp"  # read in the in-app inbox before its push went out
EXPIRED = "Expired"
TYPE_DISABLED = "TypeDisabled"
QUIET_HOURS = "QuietHours"
HOURLY_CAP = "HourlyCap"

_RETRY = ErrorRule(retry=True)
_DEAD_TOKEN = ErrorRule(deactivate_token=True)
_OPERATOR = ErrorRule(alert_operator=True)
_RECORD = ErrorRule()

RULES: dict[str, ErrorRule] = {
    # Tickets and receipts.
    DEVICE_NOT_REGISTERED: _DEAD_TOKEN,
    MESSAGE_TOO_BIG: _RECORD,
    RATE_EXCEEDED: _RETRY,
    # The app's FCM/APNs credentials are wrong: no device token is at fault.
    INVALID_CREDENTIALS: _OPERATOR,
    MISMATCH_SENDER_ID: _OPERATOR,
    PROVIDER_ERROR: _OPERATOR,
    DEVELOPER_ERROR: _OPERATOR,
    EXPO_ERROR: _RECORD,
    # Whole requests.
    TOO_MANY_REQUESTS: _RETRY,
    INTERNAL_SERVER_ERROR: _RETRY,
    UNAUTHORIZED: _OPERATOR,
    TOO_MANY_NOTIFICATIONS: _OPERATOR,
    MIXED_PROJECTS: _OPERATOR,
    TOO_MANY_RECEIPTS: _OPERATOR,
    VALIDATION_ERROR: ErrorRule(isolate=True),
    # The transport's.
    TIMEOUT: _RETRY,
    CONNECTION_ERROR: _RETRY,
    SERVER_ERROR: _RETRY,
    INVALID_RESPONSE: _RETRY,
    HTTP_ERROR: _RECORD,
    # Never offered to Expo (the screening's reasons are decided before any rule applies).
    PAYLOAD_TOO_LARGE: _RECORD,
    NO_DEVICES: _RECORD,
    DEVICE_PAUSED: _RECORD,
    READ_IN_APP: _RECORD,
    EXPIRED: _RECORD,
    TYPE_DISABLED: _RECORD,
    QUIET_HOURS: _RECORD,
    HOURLY_CAP: _RECORD,
}

# Where each code can be recorded, for the admin's filters: a notification's error message
# (any code), and a delivery row's ticket or receipt error (codes of Expo's answers).
SCREENING_CODES = (READ_IN_APP, EXPIRED, TYPE_DISABLED, QUIET_HOURS, HOURLY_CAP)
NOTIFICATION_CODES = tuple(sorted(RULES, key=str.lower))
DELIVERY_CODES = tuple(
    sorted(
        (code for code in RULES if code not in {*SCREENING_CODES, NO_DEVICES, PAYLOAD_TOO_LARGE}),
        key=str.lower,
    )
)

# Codes of a delivery row that got no ticket from Expo: the request failed (ours, or Expo
# refused it whole), or push held the device back. The overview counts them apart from the
# tickets' codes (Expo's answer for a device) and the receipts' (Apple's and Google's).
TRANSPORT_CODES = frozenset(
    {
        TIMEOUT,
        CONNECTION_ERROR,
        SERVER_ERROR,
        INVALID_RESPONSE,
        HTTP_ERROR,
        TOO_MANY_REQUESTS,
        INTERNAL_SERVER_ERROR,
        UNAUTHORIZED,
        TOO_MANY_NOTIFICATIONS,
        MIXED_PROJECTS,
        TOO_MANY_RECEIPTS,
        VALIDATION_ERROR,
        DEVICE_PAUSED,
    }
)


class Source:
    """Where a delivery row's error comes from."""

    TRANSPORT = "transport"  # no ticket: the request failed, or the device was held back
    TICKET = "ticket"  # Expo's answer for the device
    RECEIPT = "receipt"  # Apple's or Google's, fetched later


def source_of(code: str, *, receipt: bool = False) -> str:
    """Where a delivery row's error code comes from: transport, ticket or receipt."""
    if receipt:
        return Source.RECEIPT
    return Source.TRANSPORT if code in TRANSPORT_CODES else Source.TICKET


# A notification refused for its own content: sending it again would fail again.
NEVER_SENDABLE = (PAYLOAD_TOO_LARGE, MESSAGE_TOO_BIG)

# The error message of a notification that had no device to go to.
NO_DEVICES_MESSAGE = "User has no active device."

_CODE = re.compile(r"[A-Za-z_]+")


def rule_for(code: str | None) -> ErrorRule:
    """Return the rule for an error code; unknown codes are recorded and change nothing."""
    return RULES.get(code or "", _RECORD)


def without_code(message: str) -> str:
    """Return an error message without the code it starts with ("PayloadTooLarge: ...")."""
    code = error_code(message)
    if not code or message == NO_DEVICES_MESSAGE:
        return message
    return message[len(code) :].lstrip(": ") or message


def error_code(message: str | None) -> str:
    """Return the code an error message starts with ("DeviceNotRegistered (1 device): ...")."""
    if not message:
        return ""
    if message == NO_DEVICES_MESSAGE:
        return NO_DEVICES
    match = _CODE.match(message)
    return match.group(0) if match else ""
