"""Expo's push protocol rules, as the loopback server applies them.

The endpoints and limits, validation of send and receipt bodies, tickets' error messages,
the one-project rule, the 600/s token bucket and enhanced push security (bearer auth).
Each rule raises `RequestError`, answered in Expo's error shape.
"""

from __future__ import annotations

import gzip
import hmac
import json
import time
from dataclasses import dataclass
from email.message import Message
from typing import Any

from tests.support.expo.http import RequestError

BASE_PATH = "/--/api/v2/push"
SEND_PATH = BASE_PATH + "/send"
RECEIPTS_PATH = BASE_PATH + "/getReceipts"
DEFAULT_PROJECT = "@unitrade/app"
MAX_RECIPIENTS = 100
MAX_RECEIPT_IDS = 1000
MAX_PAYLOAD_BYTES = 4096

_TOKEN_PREFIXES = ("ExponentPushToken[", "ExpoPushToken[")
_ERROR_MESSAGES = {
    "DeviceNotRegistered": '"{token}" is not a registered push notification recipient',
    "InvalidCredentials": "The push credentials of the project of {token} are invalid",
    "MessageRateExceeded": "Too many messages were sent to {token} in a short time",
    "MessageTooBig": "The notification for {token} exceeds the {limit} byte payload limit",
    "MismatchSenderId": "The FCM sender id does not match the one {token} registered with",
}


@dataclass
class Receipt:
    """What a ticket id will report: when it was issued, for whom, and a send-time error."""

    issued_at: float
    token: str
    error: str | None


# -- bodies -----------------------------------------------------------------------------------


def decode_json(raw: bytes, gzipped: bool) -> Any:
    """Return the parsed body or raise VALIDATION_ERROR."""
    try:
        if gzipped:
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise RequestError(400, "VALIDATION_ERROR", f"Malformed request body: {error}") from None


def parse_messages(body: Any) -> list[dict[str, Any]]:
    """Return the messages of a send body or raise VALIDATION_ERROR."""
    messages = body if isinstance(body, list) else [body]
    for index, message in enumerate(messages):
        where = f"message {index}"
        if not isinstance(message, dict):
            raise RequestError(400, "VALIDATION_ERROR", f"{where} must be an object")
        to = message.get("to")
        tokens = to if isinstance(to, list) else [to]
        if not all(isinstance(token, str) and token for token in tokens):
            raise RequestError(
                400, "VALIDATION_ERROR", f'{where}: "to" must be a token or a list of tokens'
            )
        if "data" in message and not isinstance(message["data"], dict):
            raise RequestError(400, "VALIDATION_ERROR", f'{where}: "data" must be an object')
        for field, valid in FIELD_RULES.items():
            if field in message and not valid(message[field]):
                raise RequestError(400, "VALIDATION_ERROR", f'{where}: "{field}" is invalid')
    return messages


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# Expo refuses a request whole when one message has a field of the wrong type or value.
FIELD_RULES = {
    "title": lambda value: isinstance(value, str),
    "body": lambda value: isinstance(value, str),
    "badge": _whole,
    "ttl": _whole,
    "expiration": _whole,
    "priority": lambda value: value in ("default", "normal", "high"),
    "interruptionLevel": lambda value: value in ("active", "critical", "passive", "time-sensitive"),
    "mutableContent": lambda value: isinstance(value, bool),
    "_contentAvailable": lambda value: isinstance(value, bool),
    "richContent": lambda value: (
        isinstance(value, dict) and str(value.get("image", "")).startswith("https://")
    ),
}


def recipients(message: dict[str, Any]) -> list[str]:
    """Return the tokens a message is addressed to."""
    to = message["to"]
    return list(to) if isinstance(to, list) else [to]


def check_recipient_count(count: int) -> None:
    """Raise PUSH_TOO_MANY_NOTIFICATIONS over 100 recipients in one request."""
    if count > MAX_RECIPIENTS:
        raise RequestError(
            400,
            "PUSH_TOO_MANY_NOTIFICATIONS",
            f"You are trying to send more than {MAX_RECIPIENTS} push notifications "
            f"in one request ({count}).",
        )


def parse_receipt_ids(body: Any) -> list[str]:
    """Return the ids of a getReceipts body or raise."""
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RequestError(400, "VALIDATION_ERROR", '"ids" must be a list of strings')
    if len(ids) > MAX_RECEIPT_IDS:
        raise RequestError(
            400,
            "PUSH_TOO_MANY_RECEIPTS",
            f"You are trying to get more than {MAX_RECEIPT_IDS} push receipts in one request "
            f"({len(ids)}).",
        )
    return ids


# -- tickets and receipts ---------------------------------------------------------------------


def looks_like_token(token: str) -> bool:
    """Return whether `token` has the shape of an Expo push token."""
    return token.startswith(_TOKEN_PREFIXES) and token.endswith("]")


def payload_size(message: dict[str, Any]) -> int:
    """Return the byte size of the JSON of title, subtitle, body and data."""
    parts = {key: message[key] for key in ("title", "subtitle", "body", "data") if key in message}
    return len(json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode())


def error_message(code: str, token: str) -> str:
    """Return the message of a ticket or receipt error `code` for `token`."""
    template = _ERROR_MESSAGES.get(code, "Could not deliver the notification to {token}: {code}")
    return template.format(token=token, code=code, limit=MAX_PAYLOAD_BYTES)


def error_ticket(code: str, token: str) -> dict[str, Any]:
    """Return the error ticket of `token`."""
    return {
        "status": "error",
        "message": error_message(code, token),
        "details": {"error": code, "expoPushToken": token},
    }


def receipt_answer(code: str | None, token: str) -> dict[str, Any]:
    """Return a receipt: ok, or the error `code`."""
    if code is None:
        return {"status": "ok"}
    return {"status": "error", "message": error_message(code, token), "details": {"error": code}}


# -- the one-project rule ---------------------------------------------------------------------


def check_one_project(tokens: list[str], token_projects: dict[str, str]) -> None:
    """Raise PUSH_TOO_MANY_EXPERIENCE_IDS if the tokens span several projects."""
    projects: dict[str, list[str]] = {}
    for token in tokens:
        projects.setdefault(token_projects.get(token, DEFAULT_PROJECT), []).append(token)
    if len(projects) > 1:
        raise RequestError(
            400,
            "PUSH_TOO_MANY_EXPERIENCE_IDS",
            "All push notification messages in the same request must be for the same "
            "project; separate your push notifications by project.",
            details=projects,
        )


# -- enhanced push security -------------------------------------------------------------------


def check_auth(headers: Message, access_token: str | None) -> None:
    """Raise UNAUTHORIZED unless the request carries `access_token` as its bearer token."""
    if access_token is None:
        return
    scheme, _, given = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), access_token.encode()
    ):
        raise RequestError(
            401,
            "UNAUTHORIZED",
            "The bearer token is invalid; enhanced push security requires "
            '"Authorization: Bearer <access token>".',
        )


# -- the rate limit ---------------------------------------------------------------------------


class TokenBucket:
    """Expo's notifications-per-second limit: `burst` tokens, refilled at `rate` per second.

    Not thread-safe by itself: the server calls it holding its lock.
    """

    def __init__(self, rate: float | None, burst: int) -> None:
        self.rate = rate  # None: unlimited
        self.burst = burst
        self._tokens = float(burst)
        self._at = time.monotonic()

    def take(self, count: int) -> bool:
        """Take ``count`` tokens if the bucket holds that many."""
        if self.rate is None:
            return True
        self.refill()
        if self._tokens < count:
            return False
        self._tokens -= count
        return True

    def refill(self, *, full: bool = False) -> None:
        """Add the tokens earned since the last refill (or fill up)."""
        now = time.monotonic()
        if full or self.rate is None:
            self._tokens = float(self.burst)
        else:
            earned = (now - self._at) * self.rate
            self._tokens = min(float(self.burst), self._tokens + earned)
        self._at = now

    def error(self) -> RequestError:
        """Return Expo's 429 error."""
        rate = self.rate if self.rate is not None else 600
        return RequestError(429, "TOO_MANY_REQUESTS", f"Exceeded {rate:g} notifications per second")
