"""Faults: what can go wrong with Expo, and when the loopback server makes it go wrong.

`FaultPlan` decides which send requests fail (queued faults first, then a seeded random
rate); `fault_reply` is the answer, or non-answer, of each kind. `Tarpit` is a service that
accepts connections and never answers: a hung Expo, or a hung Redis.
"""

from __future__ import annotations

import random
import socket
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Sequence

from tests.support.expo.http import LoopbackService, Reply, RequestError, json_reply
from tests.support.expo.protocol import (
    BASE_PATH,
    TokenBucket,
    decode_json,
    parse_messages,
    recipients,
)

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

_GATEWAY_HTML_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_GATEWAY_TEXT_BODY = (
    b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
)


def check_fault_kinds(kinds: Iterable[str]) -> None:
    """Raise ValueError for a kind that is not one of ALL_FAULTS."""
    unknown = [kind for kind in kinds if kind not in ALL_FAULTS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; expected one of {ALL_FAULTS}")


class FaultPlan:
    """Which send requests fail: queued faults first, then each at a seeded random rate.

    Not thread-safe by itself: the server calls it holding its lock.
    """

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._rng = random.Random(seed)
        self._queue: deque[str] = deque()
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ALL_FAULTS

    def queue(self, kind: str, count: int) -> None:
        """Make the next ``count`` send requests fail with ``kind``."""
        check_fault_kinds([kind])
        if count < 0:
            raise ValueError(f"count must be >= 0, not {count}")
        self._queue.extend([kind] * count)

    def set_rate(self, rate: float, kinds: Sequence[str]) -> None:
        """Make each send request fail with probability ``rate``, kind drawn from ``kinds``."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {rate}")
        if not kinds:
            raise ValueError("kinds must not be empty")
        check_fault_kinds(kinds)
        self._rate = rate
        self._kinds = tuple(kinds)

    def reset(self) -> None:
        """Forget queued faults and the rate; reseed, so what follows is reproducible."""
        self._queue.clear()
        self._rate = 0.0
        self._kinds = ALL_FAULTS
        self._rng.seed(self._seed)

    def next(self) -> str | None:
        """Pop a queued fault or draw one at the configured rate (None: no fault)."""
        if self._queue:
            return self._queue.popleft()
        if self._rate > 0 and self._rng.random() < self._rate:
            return self._rng.choice(self._kinds)
        return None


def fault_reply(fault: str, raw: bytes, gzipped: bool, bucket: TokenBucket) -> Reply:
    """Return the answer (or non-answer) to a send request failing with ``fault``."""
    if fault == HTTP_500:
        return RequestError(
            500, "INTERNAL_SERVER_ERROR", "An unknown error occurred (injected fault)."
        ).reply()
    if fault == GATEWAY_HTML:
        return Reply(502, _GATEWAY_HTML_BODY, "text/html")
    if fault == GATEWAY_TEXT:
        return Reply(503, _GATEWAY_TEXT_BODY, "text/plain")
    if fault == TIMEOUT:
        return Reply(action="timeout")
    if fault == RESET:
        return Reply(action="reset")
    if fault == NON_JSON:
        return Reply(200, b"not json", "text/plain")
    if fault == TOO_MANY_REQUESTS:
        return bucket.error().reply()
    # WRONG_TICKET_COUNT: plausible ok tickets, one short, none of them real.
    try:
        messages = parse_messages(decode_json(raw, gzipped))
        count = sum(len(recipients(message)) for message in messages)
    except RequestError:
        count = 0
    tickets = [{"status": "ok", "id": str(uuid.uuid4())} for _ in range(max(count - 1, 0))]
    return json_reply({"data": tickets})


class Tarpit(LoopbackService):
    """A TCP listener on 127.0.0.1 that accepts connections and never answers.

    A hung service: as Expo (``url``, like ``ExpoServer.url``) or as Redis (``redis_url``),
    a client connects at once and then waits until its own timeout. Nothing sent is read.

        with Tarpit() as tarpit:
            settings.PUSH_NOTIFICATIONS = {..., "EXPO_BASE_URL": tarpit.url}
    """

    def __init__(self) -> None:
        self._listener: socket.socket | None = None
        self._port = 0
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Tarpit:
        """Listen on an ephemeral port, accept in a daemon thread, and return self."""
        if self._listener is not None:
            raise RuntimeError("Tarpit is already started")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._port))
        listener.listen(128)
        listener.settimeout(0.05)  # so the accept loop sees stop()
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._accept, args=(listener,), name=f"tarpit-{self._port}", daemon=True
        )
        self._thread.start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)  # held open, never read, never answered

    def stop(self) -> None:
        """Stop listening and close every held connection (clients see them closed)."""
        listener, thread = self._listener, self._thread
        if listener is None:
            return
        self._stopping.set()
        if thread is not None:
            thread.join()
        listener.close()
        for connection in self._held:
            connection.close()
        self._held.clear()
        self._listener = self._thread = None

    @property
    def connections(self) -> int:
        """Return how many connections are held right now."""
        return len(self._held)

    @property
    def url(self) -> str:
        """Return an Expo base URL (like ``ExpoServer.url``) that never answers."""
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    @property
    def redis_url(self) -> str:
        """Return a Redis URL that never answers."""
        return f"redis://127.0.0.1:{self.port}/0"
