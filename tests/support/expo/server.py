"""ExpoServer: the loopback Expo push service, its state, lifecycle and observation.

It puts the pieces together: `http` serves the requests, `protocol` holds Expo's rules,
`faults` decides which send requests fail and how. See the package docstring for usage.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from tests.support.expo import protocol
from tests.support.expo.faults import ALL_FAULTS, FaultPlan, fault_reply
from tests.support.expo.http import (
    Endpoint,
    HTTPServer,
    LoopbackService,
    Reply,
    RequestError,
    json_reply,
)
from tests.support.expo.protocol import BASE_PATH, RECEIPTS_PATH, SEND_PATH, Receipt


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


class ExpoServer(LoopbackService):
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
        # Called with the tokens of each accepted send request, after Expo accepted them and
        # before the answer leaves: a test does its damage between the two (a database
        # connection terminated, a user deleted) and the client learns of it after.
        self.on_accept: Callable[[list[str]], None] | None = None

        self._lock = threading.Lock()
        self._bucket = protocol.TokenBucket(rate_per_second, burst)
        self._faults = FaultPlan(seed)
        self._delivered: list[dict[str, Any]] = []
        self._receipts: dict[str, Receipt] = {}
        self._stats = ServerStats()
        self._in_flight = 0

        self.stopping = threading.Event()
        self._port = 0  # 0 until the first start(), then the port every start() binds
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> ExpoServer:
        """Serve in a daemon thread and return self.

        The first start binds an ephemeral port of 127.0.0.1; after stop(), start() binds the
        same port again, so a test can take Expo away and bring it back. What the server
        accepted, its settings and stats are kept across stop() and start().
        """
        if self._httpd is not None:
            raise RuntimeError("ExpoServer is already started")
        self.stopping.clear()
        self._httpd = HTTPServer(("127.0.0.1", self._port), self)
        self._port = int(self._httpd.server_address[1])
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
        self.stopping.set()  # wakes handlers sleeping for latency or a timeout fault
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join()
        self._httpd = self._thread = None

    @property
    def running(self) -> bool:
        """Return whether the server is serving (started and not stopped)."""
        return self._httpd is not None

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
        return self._bucket.rate

    @rate_per_second.setter
    def rate_per_second(self, value: float | None) -> None:
        with self._lock:
            self._bucket.rate = value
            self._bucket.refill(full=True)

    @property
    def burst(self) -> int:
        """Return the token bucket capacity; setting it refills the bucket."""
        return self._bucket.burst

    @burst.setter
    def burst(self, value: int) -> None:
        with self._lock:
            self._bucket.burst = value
            self._bucket.refill(full=True)

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` send requests fail with fault ``kind``."""
        with self._lock:
            self._faults.queue(kind, count)

    def set_fault_rate(self, rate: float, kinds: Sequence[str] = ALL_FAULTS) -> None:
        """Make each send request fail with probability ``rate``, kind drawn from ``kinds``."""
        with self._lock:
            self._faults.set_rate(rate, kinds)

    def reset(self) -> None:
        """Forget messages, receipts, stats, faults and per-token settings; keep the port.

        Constructor settings (access token, rate, burst, latency, delays) are kept; the token
        bucket is refilled and the fault RNG reseeded so a run after reset() is reproducible.
        """
        with self._lock:
            self._delivered.clear()
            self._receipts.clear()
            self._stats = ServerStats()
            self._faults.reset()
            self._bucket.refill(full=True)
            self.token_errors.clear()
            self.receipt_errors.clear()
            self.token_projects.clear()
            self.on_accept = None

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

    # -- the HTTP layer's App (called from handler threads) -------------------------------

    def endpoint(self, path: str) -> Endpoint | None:
        """Return the handler of ``path``, if it is an endpoint."""
        return {SEND_PATH: self._handle_send, RECEIPTS_PATH: self._handle_receipts}.get(path)

    def request_started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._stats.max_concurrent = max(self._stats.max_concurrent, self._in_flight)

    def request_finished(self, status: int | None) -> None:
        with self._lock:
            self._in_flight -= 1
            if status is not None:
                by_status = self._stats.responses_by_status
                by_status[status] = by_status.get(status, 0) + 1

    def count_gzip(self) -> None:
        with self._lock:
            self._stats.gzip_requests += 1

    def count_connection(self) -> None:
        with self._lock:
            self._stats.connections += 1

    # -- request processing ---------------------------------------------------------------

    def _handle_send(self, headers: Message, raw: bytes, gzipped: bool) -> Reply:
        """Return the answer to a POST /send."""
        with self._lock:
            self._stats.send_requests += 1
            fault = self._faults.next()
            if fault is not None:
                self._stats.faults_injected[fault] = self._stats.faults_injected.get(fault, 0) + 1
        if fault is not None:
            return fault_reply(fault, raw, gzipped, self._bucket)
        try:
            protocol.check_auth(headers, self.access_token)
            messages = protocol.parse_messages(protocol.decode_json(raw, gzipped))
            recipients = [token for message in messages for token in protocol.recipients(message)]
            protocol.check_recipient_count(len(recipients))
            protocol.check_one_project(recipients, self.token_projects)
            with self._lock:
                if not self._bucket.take(len(recipients)):
                    self._stats.rate_limited += 1
                    raise self._bucket.error()
                tickets = self._accept(messages, len(recipients))
        except RequestError as error:
            return error.reply()
        if self.on_accept is not None:
            self.on_accept(
                [t for t, ticket in zip(recipients, tickets, strict=True) if "id" in ticket]
            )
        return json_reply({"data": tickets})

    def _handle_receipts(self, headers: Message, raw: bytes, gzipped: bool) -> Reply:
        """Return the answer to a POST /getReceipts."""
        with self._lock:
            self._stats.receipt_requests += 1
        try:
            protocol.check_auth(headers, self.access_token)
            ids = protocol.parse_receipt_ids(protocol.decode_json(raw, gzipped))
        except RequestError as error:
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
                data[receipt_id] = protocol.receipt_answer(code, receipt.token)
        return json_reply({"data": data})

    def _accept(self, messages: list[dict[str, Any]], recipient_count: int) -> list[dict[str, Any]]:
        """Record accepted recipients and return their tickets in order; hold the lock."""
        tickets: list[dict[str, Any]] = []
        now = time.monotonic()
        for message in messages:
            too_big = protocol.payload_size(message) > protocol.MAX_PAYLOAD_BYTES
            for token in protocol.recipients(message):
                code = self.token_errors.get(token)
                if code is None and not protocol.looks_like_token(token):
                    code = "DeviceNotRegistered"
                if code is not None:
                    tickets.append(protocol.error_ticket(code, token))
                    continue
                ticket_id = str(uuid.uuid4())
                self._delivered.append({**message, "to": token})
                self._receipts[ticket_id] = Receipt(
                    now, token, "MessageTooBig" if too_big else None
                )
                tickets.append({"status": "ok", "id": ticket_id})
        self._stats.max_batch = max(self._stats.max_batch, recipient_count)
        return tickets
