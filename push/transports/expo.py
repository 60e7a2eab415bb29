"""The Expo push service over HTTP: build the request, post it, parse tickets and receipts."""

import gzip
import json
import logging
from collections.abc import Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from push import errors
from push.conf import DEFAULTS
from push.exceptions import BatchFailed
from push.tokens import mask_tokens_in
from push.transports.base import BaseTransport, OutgoingMessage, Receipt, Ticket

logger = logging.getLogger(__name__)

GZIP_MIN_BYTES = 1024  # what Expo's Node SDK does: small bodies are not worth compressing
# The shortest timeout a request gets, even when a deadline is about to pass.
MIN_TIMEOUT = 0.1


class ExpoTransport(BaseTransport):
    """Send through Expo with one pooled `requests.Session` shared by the worker threads.

    Built by hand (a shell, a test), it has the settings' defaults (push.conf.DEFAULTS).
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULTS["EXPO_BASE_URL"],
        access_token: str | None = DEFAULTS["EXPO_ACCESS_TOKEN"],
        connect_timeout: float = DEFAULTS["CONNECT_TIMEOUT"],
        read_timeout: float = DEFAULTS["READ_TIMEOUT"],
        concurrency: int = DEFAULTS["CONCURRENCY"],
        rate_per_second: float | None = DEFAULTS["RATE_LIMIT_PER_SECOND"],
        retry_attempts: int = DEFAULTS["RETRY_ATTEMPTS"],
        retry_backoff: float = DEFAULTS["RETRY_BACKOFF_SECONDS"],
        retry_backoff_max: float = DEFAULTS["RETRY_BACKOFF_MAX_SECONDS"],
        shared_rate_limit_url: str | None = DEFAULTS["RATE_LIMIT_REDIS_URL"],
    ) -> None:
        super().__init__(
            concurrency=concurrency,
            rate_per_second=rate_per_second,
            retry_attempts=retry_attempts,
            retry_backoff=retry_backoff,
            retry_backoff_max=retry_backoff_max,
            shared_rate_limit_url=shared_rate_limit_url,
        )
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.concurrency)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        super().close()
        self.session.close()

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[Ticket]:
        body = [{"to": message.token, **message.payload} for message in messages]
        try:
            answer = self._post("/send", body)
        except BatchFailed as failure:
            groups = _groups_by_project(failure, messages)
            if groups is None:
                raise
            return self._send_by_project(messages, groups)
        tickets = answer.get("data")
        if not isinstance(tickets, list) or len(tickets) != len(messages):
            # Tickets are matched by position: a wrong count makes every match a guess.
            count = len(tickets) if isinstance(tickets, list) else "no"
            raise BatchFailed(
                errors.INVALID_RESPONSE, f"{count} tickets for {len(messages)} messages"
            )
        return [self._ticket(ticket) for ticket in tickets]

    def _send_by_project(
        self, messages: Sequence[OutgoingMessage], groups: list[list[int]]
    ) -> list[Ticket]:
        """Send each Expo project's messages in a request of its own; tickets in order."""
        tickets: list[Ticket] = [Ticket.failed(errors.INVALID_RESPONSE)] * len(messages)
        for indexes in groups:
            try:
                answered = self.send_batch([messages[index] for index in indexes])
            except BatchFailed as failure:
                # Per ticket, so the base loop retries a retryable failure of this group.
                answered = [Ticket.failed(failure.error, failure.message)] * len(indexes)
            for index, ticket in zip(indexes, answered, strict=True):
                tickets[index] = ticket
        return tickets

    def fetch_receipts(self, ticket_ids: Sequence[str]) -> dict[str, Receipt]:
        answer = self._post("/getReceipts", {"ids": list(ticket_ids)})
        receipts = answer.get("data")
        if not isinstance(receipts, dict):
            raise BatchFailed(errors.INVALID_RESPONSE, "receipts answer without a data object")
        return {
            str(ticket_id): self._receipt(receipt)
            for ticket_id, receipt in receipts.items()
            if isinstance(receipt, dict)
        }

    def _headers(self, compressed: bool) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Content-Type": "application/json",
        }
        if compressed:
            headers["Content-Encoding"] = "gzip"
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        return headers

    def _timeouts(self) -> tuple[float, float]:
        """Return the connect and read timeouts, cut to what the send's deadline leaves."""
        left = self.time_left()
        if left is None:
            return self.timeout
        left = max(left, MIN_TIMEOUT)
        return (min(self.timeout[0], left), min(self.timeout[1], left))

    def _post(self, path: str, body: Any) -> dict[str, Any]:
        """POST `body` as JSON; return the decoded answer or raise BatchFailed."""
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        compressed = len(data) > GZIP_MIN_BYTES
        if compressed:
            data = gzip.compress(data, compresslevel=6)
        try:
            response = self.session.post(
                self.base_url + path,
                data=data,
                headers=self._headers(compressed),
                timeout=self._timeouts(),
            )
        except requests.Timeout as exc:
            raise BatchFailed(errors.TIMEOUT, type(exc).__name__) from None
        except requests.ConnectionError as exc:
            raise BatchFailed(errors.CONNECTION_ERROR, type(exc).__name__) from None
        except requests.RequestException as exc:
            raise BatchFailed(errors.CONNECTION_ERROR, type(exc).__name__) from None
        return self._decode(response)

    def _decode(self, response: requests.Response) -> dict[str, Any]:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        status = response.status_code
        request_error = self._request_error(answer)
        if status == 429 or status >= 500:
            code, message = request_error or (errors.SERVER_ERROR, _snippet(response))
            if not errors.rule_for(code).retry:
                # A server-side failure is worth retrying whatever code it carries.
                code, message = errors.SERVER_ERROR, f"{code}: {message}"
            raise BatchFailed(code, f"HTTP {status}: {message}", retry_after=_retry_after(response))
        if not isinstance(answer, dict):
            raise BatchFailed(errors.INVALID_RESPONSE, f"HTTP {status}: not a JSON object")
        if request_error is not None and "data" not in answer:
            code, message = request_error
            raise BatchFailed(code, message, details=_error_details(answer))
        if status >= 400:
            raise BatchFailed(errors.HTTP_ERROR, f"HTTP {status}: {_snippet(response)}")
        return answer

    @staticmethod
    def _request_error(answer: Any) -> tuple[str, str] | None:
        """Return the first request-level error (code, message) of an answer, if any."""
        if not isinstance(answer, dict) or not isinstance(answer.get("errors"), list):
            return None
        for error in answer["errors"]:
            if isinstance(error, dict) and error.get("code"):
                return str(error["code"]), mask_tokens_in(str(error.get("message", "")))
        return None

    @staticmethod
    def _ticket(ticket: Any) -> Ticket:
        if not isinstance(ticket, dict):
            return Ticket.failed(errors.INVALID_RESPONSE, "ticket is not an object")
        if ticket.get("status") == "ok":
            return Ticket.accepted(str(ticket["id"]) if ticket.get("id") else None)
        code, message = _error_of(ticket)
        return Ticket.failed(code, message)

    @staticmethod
    def _receipt(receipt: dict[str, Any]) -> Receipt:
        if receipt.get("status") == "ok":
            return Receipt(ok=True)
        code, message = _error_of(receipt)
        return Receipt(ok=False, error=code, message=message)


def _error_details(answer: dict[str, Any]) -> Any:
    reported = answer.get("errors")
    first = reported[0] if isinstance(reported, list) and reported else None
    return first.get("details") if isinstance(first, dict) else None


def _groups_by_project(
    failure: BatchFailed, messages: Sequence[OutgoingMessage]
) -> list[list[int]] | None:
    """Return the messages' positions grouped by Expo project, when Expo refused the mix.

    Expo takes one project's tokens per request and names each token's project in the
    error's details. None when the failure is anything else or cannot be split.
    """
    if failure.error != errors.MIXED_PROJECTS or not isinstance(failure.details, dict):
        return None
    project_of = {
        token: project
        for project, tokens in failure.details.items()
        if isinstance(tokens, list)
        for token in tokens
        if isinstance(token, str)
    }
    groups: dict[str | None, list[int]] = {}
    for index, message in enumerate(messages):
        groups.setdefault(project_of.get(message.token), []).append(index)
    return list(groups.values()) if len(groups) > 1 else None


def _error_of(item: dict[str, Any]) -> tuple[str, str]:
    details = item.get("details")
    code = details.get("error") if isinstance(details, dict) else None
    # Expo's messages quote the token: mask it before it reaches a log or the database.
    return str(code or "ExpoError"), mask_tokens_in(str(item.get("message", "")))[:500]


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _snippet(response: requests.Response) -> str:
    return " ".join(response.text[:120].split())
