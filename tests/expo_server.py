"""An Expo-compatible push server on loopback, for tests and benchmarks.

It follows the contract in ``expo-push-api.md`` closely enough to exercise a real HTTP client
(``requests``) end to end: tickets per recipient in request order, receipts, the 100-recipient
and 1000-receipt limits, the one-project rule, a shared 600/s token bucket, gzip request bodies,
enhanced push security, and injectable faults (5xx, gateway HTML/text, timeouts, connection
resets, wrong ticket counts, non-JSON answers, 429s).

Usage::

    with ExpoServer(rate_per_second=None) as expo:
        requests.post(expo.url + "/send", json=[{"to": "ExponentPushToken[a]", "title": "hi"}])
        assert expo.delivered_count("ExponentPushToken[a]") == 1

    expo = ExpoServer(access_token="s3cret", latency=0.05).start()
    expo.token_errors["ExponentPushToken[gone]"] = "DeviceNotRegistered"
    expo.fail_next(GATEWAY_HTML)          # the next /send answers 502 with an HTML page
    expo.set_fault_rate(0.1)              # then 10% of /send requests fail (seeded, reproducible)
    ...
    expo.stop()

Faults apply to ``/send`` only and are decided first, before authentication and validation, so
``fail_next(kind, n)`` always hits exactly the next ``n`` send requests. A faulted request never
records anything as delivered, so a retry that later succeeds delivers exactly once.

The server speaks HTTP/1.1 with keep-alive and answers each request in its own daemon thread;
``stats.connections`` and ``stats.max_concurrent`` show how a client uses connections.
"""

from __future__ import annotations

import copy
import gzip
import hmac
import json
import logging
import random
import socket
import struct
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "ALL_FAULTS",
    "BASE_PATH",
    "DEFAULT_PROJECT",
    "GATEWAY_HTML",
    "GATEWAY_TEXT",
    "HTTP_500",
    "MAX_PAYLOAD_BYTES",
    "MAX_RECEIPT_IDS",
    "MAX_RECIPIENTS",
    "NON_JSON",
    "RESET",
    "TIMEOUT",
    "TOO_MANY_REQUESTS",
    "WRONG_TICKET_COUNT",
    "ExpoServer",
    "ServerStats",
]

logger = logging.getLogger(__name__)

# Fault kinds for fail_next() / set_fault_rate().
HTTP_500 = "http_500"
GATEWAY_HTML = "gateway_html"
GATEWAY_TEXT = "gateway_text"
TIMEOUT = "timeout"
RESET = "reset"
WRONG_TICKET_COUNT = "wrong_ticket_count"
NON_JSON = "non_json"
TOO_MANY_REQUESTS = "too_many_requests"
ALL_FAULTS: tuple[str, ...] = (
    HTTP_500,
    GATEWAY_HTML,
    GATEWAY_TEXT,
    TIMEOUT,
    RESET,
    WRONG_TICKET_COUNT,
    NON_JSON,
    TOO_MANY_REQUESTS,
)

BASE_PATH = "/--/api/v2/push"
DEFAULT_PROJECT = "@unitrade/app"
MAX_RECIPIENTS = 100
MAX_RECEIPT_IDS = 1000
MAX_PAYLOAD_BYTES = 4096
# Guards the test process against a runaway client; far above any legitimate request.
MAX_BODY_BYTES = 32 * 1024 * 1024
# Like Expo, only compress answers that are worth it (and only when the client asks).
GZIP_MIN_BYTES = 1024

_TOKEN_PREFIXES = ("ExponentPushToken[", "ExpoPushToken[")
_GATEWAY_HTML_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_GATEWAY_TEXT_BODY = (
    b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
)
_ERROR_MESSAGES = {
    "DeviceNotRegistered": '"{token}" is not a registered push notification recipient',
    "InvalidCredentials": "The push credentials of the project of {token} are invalid",
    "MessageRateExceeded": "Too many messages were sent to {token} in a short time",
    "MessageTooBig": "The notification for {token} exceeds the {limit} byte payload limit",
    "MismatchSenderId": "The FCM sender id does not match the one {token} registered with",
}


@dataclass
class ServerStats:
    """Counters describing what the server saw; ``ExpoServer.stats`` returns a snapshot."""

    send_requests: int = 0
    receipt_requests: int = 0
    responses_by_status: dict[int, int] = field(default_factory=dict)
    rate_limited: int = 0  # 429s from the token bucket (injected 429s are in faults_injected)
    faults_injected: dict[str, int] = field(default_factory=dict)
    max_batch: int = 0
    gzip_requests: int = 0
    max_concurrent: int = 0
    connections: int = 0  # TCP connections accepted: shows whether a client reuses them


@dataclass
class _Reply:
    """An HTTP answer; ``action`` other than "answer" means the request is not answered."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    action: Literal["answer", "timeout", "reset"] = "answer"
    close: bool = False


@dataclass
class _Receipt:
    """What a ticket id will report: when it was issued, for whom, and a send-time error."""

    issued_at: float
    token: str
    error: str | None


class _RequestError(Exception):
    """A request-level Expo error, answered as ``{"errors": [...]}``."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def reply(self) -> _Reply:
        """Return the JSON error answer."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return _json_reply({"errors": [error]}, self.status)


class ExpoServer:
    """An Expo push service on 127.0.0.1 with configurable limits, errors and faults."""

    def __init__(
        self,
        *,
        access_token: str | None = None,
        rate_per_second: float | None = 600,
        burst: int = 600,
        latency: float = 0.0,
        receipt_delay: float = 0.0,
        seed: int = 0,
        timeout_seconds: float = 2.0,
    ) -> None:
        self.access_token = access_token
        self.latency = latency
        self.receipt_delay = receipt_delay
        self.timeout_seconds = timeout_seconds
        # Mutated in place by reset() so references held by tests stay valid.
        self.token_errors: dict[str, str] = {}
        self.receipt_errors: dict[str, str] = {}
        self.token_projects: dict[str, str] = {}

        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._rate_per_second = rate_per_second
        self._burst = burst
        self._bucket = float(burst)
        self._bucket_at = time.monotonic()
        self._fault_queue: deque[str] = deque()
        self._fault_rate = 0.0
        self._fault_kinds: tuple[str, ...] = ALL_FAULTS
        self._delivered: list[dict[str, Any]] = []
        self._receipts: dict[str, _Receipt] = {}
        self._stats = ServerStats()
        self._in_flight = 0

        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, port: int = 0) -> ExpoServer:
        """Bind 127.0.0.1 on `port` (default: an ephemeral one), serve in a daemon thread.

        Return self. A stopped server can be started again on its old port (`port=`), as
        Expo coming back after an outage.
        """
        if self._httpd is not None:
            raise RuntimeError("ExpoServer is already started")
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"expo-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections, close the socket and join the thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping for latency or a timeout fault
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> ExpoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Return the bound port."""
        if self._httpd is None:
            raise RuntimeError("ExpoServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Return the base URL; append "/send" or "/getReceipts"."""
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    @property
    def send_url(self) -> str:
        """Return the URL of the send endpoint."""
        return self.url + "/send"

    @property
    def receipts_url(self) -> str:
        """Return the URL of the receipts endpoint."""
        return self.url + "/getReceipts"

    # -- configuration --------------------------------------------------------------------

    @property
    def rate_per_second(self) -> float | None:
        """Return the token bucket refill rate (None: unlimited); setting it refills the bucket."""
        return self._rate_per_second

    @rate_per_second.setter
    def rate_per_second(self, value: float | None) -> None:
        with self._lock:
            self._rate_per_second = value
            self._refill_bucket(full=True)

    @property
    def burst(self) -> int:
        """Return the token bucket capacity; setting it refills the bucket."""
        return self._burst

    @burst.setter
    def burst(self, value: int) -> None:
        with self._lock:
            self._burst = value
            self._refill_bucket(full=True)

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` send requests fail with fault ``kind``."""
        _check_fault_kinds([kind])
        if count < 0:
            raise ValueError(f"count must be >= 0, not {count}")
        with self._lock:
            self._fault_queue.extend([kind] * count)

    def set_fault_rate(self, rate: float, kinds: Sequence[str] = ALL_FAULTS) -> None:
        """Make each send request fail with probability ``rate``, kind drawn from ``kinds``."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {rate}")
        if not kinds:
            raise ValueError("kinds must not be empty")
        _check_fault_kinds(kinds)
        with self._lock:
            self._fault_rate = rate
            self._fault_kinds = tuple(kinds)

    def reset(self) -> None:
        """Forget messages, receipts, stats, faults and per-token settings; keep the port.

        Constructor settings (access token, rate, burst, latency, delays) are kept; the token
        bucket is refilled and the fault RNG reseeded so a run after reset() is reproducible.
        """
        with self._lock:
            self._delivered.clear()
            self._receipts.clear()
            self._stats = ServerStats()
            self._fault_queue.clear()
            self._fault_rate = 0.0
            self._fault_kinds = ALL_FAULTS
            self._rng.seed(self._seed)
            self._refill_bucket(full=True)
            self.token_errors.clear()
            self.receipt_errors.clear()
            self.token_projects.clear()

    # -- observation ----------------------------------------------------------------------

    @property
    def delivered(self) -> list[dict[str, Any]]:
        """Return a copy of every accepted message, one per recipient, in acceptance order."""
        with self._lock:
            return list(self._delivered)

    @property
    def in_flight(self) -> int:
        """Return how many requests the server is handling right now."""
        with self._lock:
            return self._in_flight

    @property
    def stats(self) -> ServerStats:
        """Return a consistent snapshot of the counters."""
        with self._lock:
            return copy.deepcopy(self._stats)

    def delivered_count(self, token: str) -> int:
        """Return how many messages were accepted for ``token``."""
        with self._lock:
            return sum(1 for message in self._delivered if message["to"] == token)

    def duplicates(self) -> dict[tuple[str, str], int]:
        """Return ``{(token, json of data): count}`` for messages accepted more than once."""
        with self._lock:
            seen = Counter(
                (m["to"], json.dumps(m.get("data"), sort_keys=True)) for m in self._delivered
            )
        return {key: count for key, count in seen.items() if count > 1}

    # -- request processing (called from handler threads) ---------------------------------

    def _handle_send(self, headers: Message, raw: bytes, gzipped: bool) -> _Reply:
        """Return the answer to a POST /send."""
        with self._lock:
            self._stats.send_requests += 1
            fault = self._next_fault()
            if fault is not None:
                self._stats.faults_injected[fault] = self._stats.faults_injected.get(fault, 0) + 1
        if fault is not None:
            return self._fault_reply(fault, raw, gzipped)
        try:
            self._check_auth(headers)
            messages = _parse_messages(_decode_json(raw, gzipped))
            recipients = [token for message in messages for token in _recipients(message)]
            if len(recipients) > MAX_RECIPIENTS:
                raise _RequestError(
                    400,
                    "PUSH_TOO_MANY_NOTIFICATIONS",
                    f"You are trying to send more than {MAX_RECIPIENTS} push notifications "
                    f"in one request ({len(recipients)}).",
                )
            self._check_one_project(recipients)
            with self._lock:
                if not self._take_tokens(len(recipients)):
                    self._stats.rate_limited += 1
                    raise self._rate_limit_error()
                tickets = self._accept(messages, len(recipients))
        except _RequestError as error:
            return error.reply()
        return _json_reply({"data": tickets})

    def _handle_receipts(self, headers: Message, raw: bytes, gzipped: bool) -> _Reply:
        """Return the answer to a POST /getReceipts."""
        with self._lock:
            self._stats.receipt_requests += 1
        try:
            self._check_auth(headers)
            ids = _parse_receipt_ids(_decode_json(raw, gzipped))
        except _RequestError as error:
            return error.reply()
        now = time.monotonic()
        data: dict[str, dict[str, Any]] = {}
        with self._lock:
            for receipt_id in ids:
                receipt = self._receipts.get(receipt_id)
                if receipt is None or now - receipt.issued_at < self.receipt_delay:
                    continue  # unknown or not ready yet: simply missing, as with Expo
                # Looked up now, so a test may decide a receipt's fate after sending.
                code = receipt.error or self.receipt_errors.get(receipt.token)
                if code is None:
                    data[receipt_id] = {"status": "ok"}
                else:
                    data[receipt_id] = {
                        "status": "error",
                        "message": _error_message(code, receipt.token),
                        "details": {"error": code},
                    }
        return _json_reply({"data": data})

    def _accept(self, messages: list[dict[str, Any]], recipient_count: int) -> list[dict[str, Any]]:
        """Record accepted recipients and return their tickets in order; hold the lock."""
        tickets: list[dict[str, Any]] = []
        now = time.monotonic()
        for message in messages:
            too_big = _payload_size(message) > MAX_PAYLOAD_BYTES
            for token in _recipients(message):
                code = self.token_errors.get(token)
                if code is None and not _looks_like_token(token):
                    code = "DeviceNotRegistered"
                if code is not None:
                    tickets.append(
                        {
                            "status": "error",
                            "message": _error_message(code, token),
                            "details": {"error": code, "expoPushToken": token},
                        }
                    )
                    continue
                ticket_id = str(uuid.uuid4())
                self._delivered.append({**message, "to": token})
                self._receipts[ticket_id] = _Receipt(
                    now, token, "MessageTooBig" if too_big else None
                )
                tickets.append({"status": "ok", "id": ticket_id})
        self._stats.max_batch = max(self._stats.max_batch, recipient_count)
        return tickets

    def _fault_reply(self, fault: str, raw: bytes, gzipped: bool) -> _Reply:
        """Return the answer (or non-answer) for an injected fault."""
        if fault == HTTP_500:
            return _RequestError(
                500, "INTERNAL_SERVER_ERROR", "An unknown error occurred (injected fault)."
            ).reply()
        if fault == GATEWAY_HTML:
            return _Reply(502, _GATEWAY_HTML_BODY, "text/html")
        if fault == GATEWAY_TEXT:
            return _Reply(503, _GATEWAY_TEXT_BODY, "text/plain")
        if fault == TIMEOUT:
            return _Reply(action="timeout")
        if fault == RESET:
            return _Reply(action="reset")
        if fault == NON_JSON:
            return _Reply(200, b"not json", "text/plain")
        if fault == TOO_MANY_REQUESTS:
            return self._rate_limit_error().reply()
        # WRONG_TICKET_COUNT: plausible ok tickets, one short, none of them real.
        try:
            messages = _parse_messages(_decode_json(raw, gzipped))
            count = sum(len(_recipients(message)) for message in messages)
        except _RequestError:
            count = 0
        tickets = [{"status": "ok", "id": str(uuid.uuid4())} for _ in range(max(count - 1, 0))]
        return _json_reply({"data": tickets})

    def _next_fault(self) -> str | None:
        """Pop a queued fault or draw one at the configured rate; hold the lock."""
        if self._fault_queue:
            return self._fault_queue.popleft()
        if self._fault_rate > 0 and self._rng.random() < self._fault_rate:
            return self._rng.choice(self._fault_kinds)
        return None

    def _take_tokens(self, count: int) -> bool:
        """Take ``count`` tokens from the bucket if it holds that many; hold the lock."""
        if self._rate_per_second is None:
            return True
        self._refill_bucket()
        if self._bucket < count:
            return False
        self._bucket -= count
        return True

    def _refill_bucket(self, *, full: bool = False) -> None:
        """Add the tokens earned since the last refill (or fill up); hold the lock."""
        now = time.monotonic()
        if full or self._rate_per_second is None:
            self._bucket = float(self._burst)
        else:
            earned = (now - self._bucket_at) * self._rate_per_second
            self._bucket = min(float(self._burst), self._bucket + earned)
        self._bucket_at = now

    def _rate_limit_error(self) -> _RequestError:
        """Return Expo's 429 error."""
        rate = self._rate_per_second if self._rate_per_second is not None else 600
        return _RequestError(
            429, "TOO_MANY_REQUESTS", f"Exceeded {rate:g} notifications per second"
        )

    def _check_auth(self, headers: Message) -> None:
        """Raise UNAUTHORIZED unless the request carries the configured bearer token."""
        expected = self.access_token
        if expected is None:
            return
        scheme, _, given = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            raise _RequestError(
                401,
                "UNAUTHORIZED",
                "The bearer token is invalid; enhanced push security requires "
                '"Authorization: Bearer <access token>".',
            )

    def _check_one_project(self, recipients: list[str]) -> None:
        """Raise PUSH_TOO_MANY_EXPERIENCE_IDS if the tokens span several projects."""
        projects: dict[str, list[str]] = {}
        mapping = self.token_projects
        for token in recipients:
            projects.setdefault(mapping.get(token, DEFAULT_PROJECT), []).append(token)
        if len(projects) > 1:
            raise _RequestError(
                400,
                "PUSH_TOO_MANY_EXPERIENCE_IDS",
                "All push notification messages in the same request must be for the same "
                "project; separate your push notifications by project.",
                details=projects,
            )

    def _request_started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._stats.max_concurrent = max(self._stats.max_concurrent, self._in_flight)

    def _request_finished(self, status: int | None) -> None:
        with self._lock:
            self._in_flight -= 1
            if status is not None:
                by_status = self._stats.responses_by_status
                by_status[status] = by_status.get(status, 0) + 1

    def _count_gzip(self) -> None:
        with self._lock:
            self._stats.gzip_requests += 1

    def _count_connection(self) -> None:
        with self._lock:
            self._stats.connections += 1


class _HTTPServer(ThreadingHTTPServer):
    """A threading server that knows its ExpoServer and can drop idle keep-alive sockets."""

    daemon_threads = True
    # Keep-alive handlers block on idle connections: never wait for them on close.
    block_on_close = False
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], expo: ExpoServer
    ) -> None:
        self.expo = expo
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        self.expo._count_connection()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open connection so their handler threads end."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping connections is routine here (timeouts, resets, stop()).
        logger.debug("error while serving %s: %r", client_address, sys.exc_info()[1])


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the ExpoServer and writes its replies."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, so a requests.Session reuses connections
    # Headers and body go out in separate writes; without this Nagle + delayed ACK adds ~40 ms.
    disable_nagle_algorithm = True
    server_version = "ExpoServer/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # Silences http.server's stderr access log; keep it reachable through logging.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s - %s", self.address_string(), format % args)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        expo = self.server.expo
        expo._request_started()
        try:
            reply = self._route(expo, method)
        except BaseException:  # e.g. the client vanished mid-body
            expo._request_finished(None)
            raise
        if reply.action == "timeout":
            self._stall(expo)
        # Book-keep before answering, so a client that reads stats after its answer sees this
        # request finished and counted.
        expo._request_finished(reply.status if reply.action == "answer" else None)
        if reply.action == "reset":
            self._reset()
        elif reply.action == "answer":
            self._write(reply)

    def _route(self, expo: ExpoServer, method: str) -> _Reply:
        """Read the body and return the reply for this request."""
        try:
            raw = self._read_body()
        except _RequestError as error:
            reply = error.reply()
            reply.close = True  # the framing is unknown: the connection cannot be reused
            return reply
        path = urlsplit(self.path).path
        endpoints = {
            BASE_PATH + "/send": expo._handle_send,
            BASE_PATH + "/getReceipts": expo._handle_receipts,
        }
        handler = endpoints.get(path)
        if handler is None:
            return _RequestError(404, "NOT_FOUND", f"No such endpoint: {path}").reply()
        if method != "POST":
            return _RequestError(405, "METHOD_NOT_ALLOWED", f"Use POST for {path}").reply()
        gzipped = "gzip" in (self.headers.get("Content-Encoding") or "").lower()
        if gzipped:
            expo._count_gzip()
        try:
            reply = handler(self.headers, raw, gzipped)
        except Exception:  # a bug here must reach the client as a 500, not a hang
            logger.exception("ExpoServer failed on %s", path)
            reply = _RequestError(500, "INTERNAL_SERVER_ERROR", "ExpoServer bug").reply()
        if reply.action == "answer" and expo.latency > 0:
            expo._stopping.wait(expo.latency)
        return reply

    def _read_body(self) -> bytes:
        """Return the raw request body (Content-Length or chunked)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _RequestError(400, "VALIDATION_ERROR", "Invalid Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise _RequestError(413, "PAYLOAD_TOO_LARGE", f"Body over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        try:
            while True:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                total += size
                if total > MAX_BODY_BYTES:
                    raise _RequestError(
                        413, "PAYLOAD_TOO_LARGE", f"Body over {MAX_BODY_BYTES} bytes"
                    )
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
        except ValueError:
            raise _RequestError(400, "VALIDATION_ERROR", "Invalid chunked body") from None

    def _write(self, reply: _Reply) -> None:
        body = reply.body
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        compress = accepts_gzip and reply.content_type == "application/json"
        compress = compress and len(body) >= GZIP_MIN_BYTES
        if compress:
            body = gzip.compress(body, compresslevel=1)
        self.send_response(reply.status)
        self.send_header("Content-Type", f"{reply.content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        if reply.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _stall(self, expo: ExpoServer) -> None:
        """Hold the request unanswered, then hang up (stop() cuts the wait short)."""
        expo._stopping.wait(expo.timeout_seconds)
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection so the client sees ECONNRESET rather than a clean close."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket's fd only closes once its makefile() reader is closed too.
        self.rfile.close()
        self.connection.close()


# -- helpers ----------------------------------------------------------------------------------


def _json_reply(payload: Any, status: int = 200) -> _Reply:
    return _Reply(status, json.dumps(payload).encode())


def _check_fault_kinds(kinds: Iterable[str]) -> None:
    unknown = [kind for kind in kinds if kind not in ALL_FAULTS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; expected one of {ALL_FAULTS}")


def _decode_json(raw: bytes, gzipped: bool) -> Any:
    """Return the parsed body or raise VALIDATION_ERROR."""
    try:
        if gzipped:
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise _RequestError(400, "VALIDATION_ERROR", f"Malformed request body: {error}") from None


def _parse_messages(body: Any) -> list[dict[str, Any]]:
    """Return the messages of a send body or raise VALIDATION_ERROR."""
    messages = body if isinstance(body, list) else [body]
    for index, message in enumerate(messages):
        where = f"message {index}"
        if not isinstance(message, dict):
            raise _RequestError(400, "VALIDATION_ERROR", f"{where} must be an object")
        to = message.get("to")
        tokens = to if isinstance(to, list) else [to]
        if not all(isinstance(token, str) and token for token in tokens):
            raise _RequestError(
                400, "VALIDATION_ERROR", f'{where}: "to" must be a token or a list of tokens'
            )
        if "data" in message and not isinstance(message["data"], dict):
            raise _RequestError(400, "VALIDATION_ERROR", f'{where}: "data" must be an object')
    return messages


def _recipients(message: dict[str, Any]) -> list[str]:
    to = message["to"]
    return list(to) if isinstance(to, list) else [to]


def _parse_receipt_ids(body: Any) -> list[str]:
    """Return the ids of a getReceipts body or raise."""
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _RequestError(400, "VALIDATION_ERROR", '"ids" must be a list of strings')
    if len(ids) > MAX_RECEIPT_IDS:
        raise _RequestError(
            400,
            "PUSH_TOO_MANY_RECEIPTS",
            f"You are trying to get more than {MAX_RECEIPT_IDS} push receipts in one request "
            f"({len(ids)}).",
        )
    return ids


def _looks_like_token(token: str) -> bool:
    return token.startswith(_TOKEN_PREFIXES) and token.endswith("]")


def _payload_size(message: dict[str, Any]) -> int:
    """Return the byte size of the JSON of title, subtitle, body and data."""
    parts = {key: message[key] for key in ("title", "subtitle", "body", "data") if key in message}
    return len(json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode())


def _error_message(code: str, token: str) -> str:
    template = _ERROR_MESSAGES.get(code, "Could not deliver the notification to {token}: {code}")
    return template.format(token=token, code=code, limit=MAX_PAYLOAD_BYTES)
