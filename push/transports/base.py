"""The transport base class owns the send loop; a transport fills in `send_batch`.

The loop: split messages into batches of at most `max_batch_size`, run up to `concurrency`
batches at once, take one rate-limiter token per recipient, and retry what was not accepted
(a whole batch after a transient failure, single recipients after a retryable ticket) with
exponential backoff and full jitter. Tickets always come back in the order of the messages.
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from push.errors import TIMEOUT, TOO_MANY_REQUESTS, ErrorRule, rule_for
from push.exceptions import BatchFailed
from push.metrics import counters
from push.transports.pacing import build_limiter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification for one device: its Expo token and the message fields (no `to`)."""

    token: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Ticket:
    """Expo's answer for one recipient: accepted (with a receipt id) or an error code."""

    ok: bool
    id: str | None = None
    error: str | None = None
    message: str = ""

    @property
    def rule(self) -> ErrorRule:
        """Return what to do about this ticket's error."""
        return rule_for(self.error)

    @classmethod
    def accepted(cls, receipt_id: str | None = None) -> "Ticket":
        return cls(ok=True, id=receipt_id)

    @classmethod
    def failed(cls, error: str, message: str = "") -> "Ticket":
        return cls(ok=False, error=error, message=message)


@dataclass(frozen=True)
class Receipt:
    """Expo's delivery receipt for one ticket id."""

    ok: bool
    error: str | None = None
    message: str = ""

    @property
    def rule(self) -> ErrorRule:
        """Return what to do about this receipt's error."""
        return rule_for(self.error)


@dataclass
class TransportStats:
    """Counters of one transport instance, for summaries and benchmarks (thread-safe)."""

    requests: int = 0
    retries: int = 0
    batch_failures: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, name: str) -> None:
        """Add one to the counter `name` (requests or retries)."""
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def count_failure(self, error: str) -> None:
        """Add one to the failures of whole requests with this error code."""
        with self._lock:
            self.batch_failures[error] = self.batch_failures.get(error, 0) + 1


class PendingSend:
    """Tickets of a `submit()` call that may still be in flight."""

    def __init__(self, futures: list[Future]) -> None:
        self._futures = futures

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; return whether every batch is answered."""
        _, not_done = wait(self._futures, timeout=timeout)
        return not not_done

    def add_done_callback(self, callback: "Callable[[], None]") -> None:
        """Call `callback()` whenever one of the batches is answered (from its thread)."""
        for future in self._futures:
            future.add_done_callback(lambda _: callback())

    def done(self) -> bool:
        """Return whether every batch is answered (without waiting)."""
        return all(future.done() for future in self._futures)

    @staticmethod
    def wait_any(sends: "Sequence[PendingSend]", timeout: float) -> None:
        """Wait up to `timeout` seconds for one more batch of any of `sends` to be answered."""
        futures = [future for send in sends for future in send._futures if not future.done()]
        if futures:
            wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)

    def result(self) -> list[Ticket]:
        """Block until every batch is answered; return the tickets in message order."""
        tickets: list[Ticket] = []
        for future in self._futures:
            tickets.extend(future.result())
        return tickets


class BaseTransport:
    """Base class of transports: batching, concurrency, rate limiting and retries."""

    max_batch_size = 100
    max_receipt_batch_size = 1000

    def __init__(
        self,
        *,
        concurrency: int = 1,
        rate_per_second: float | None = None,
        retry_attempts: int = 1,
        retry_backoff: float = 1.0,
        retry_backoff_max: float = 30.0,
        shared_rate_limit_url: str | None = None,
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.limiter = build_limiter(
            rate_per_second, capacity=self.max_batch_size, shared_url=shared_rate_limit_url
        )
        self.retry_attempts = max(1, retry_attempts)
        self.retry_backoff = retry_backoff
        self.retry_backoff_max = retry_backoff_max
        self.stats = TransportStats()
        self._executor: ThreadPoolExecutor | None = None
        self._deadline = threading.local()

    # Hooks a transport fills in.

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[Ticket]:
        """Send at most `max_batch_size` messages; return one ticket each, in order.

        Raise BatchFailed when nothing in the batch was accepted.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement send_batch().")

    def fetch_receipts(self, ticket_ids: Sequence[str]) -> dict[str, Receipt]:
        """Return the receipts Expo has for at most `max_receipt_batch_size` ids."""
        raise NotImplementedError(f"{type(self).__name__} must implement fetch_receipts().")

    # The loop.

    def open(self) -> None:
        """Start the worker threads (called by `with transport:`; safe to call again)."""
        if self._executor is None and self.concurrency > 1:
            self._executor = ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="push-transport"
            )

    def close(self) -> None:
        """Wait for batches in flight and stop the worker threads."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def __enter__(self) -> "BaseTransport":
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def submit(
        self, messages: Sequence[OutgoingMessage], *, deadline: float | None = None
    ) -> PendingSend:
        """Start sending `messages`; return a handle whose result() is their tickets.

        `deadline` (a `time.monotonic()` value) bounds the whole send, retries included:
        what is not accepted by then gets a retryable TIMEOUT ticket.
        """
        batches = [
            messages[start : start + self.max_batch_size]
            for start in range(0, len(messages), self.max_batch_size)
        ]
        futures: list[Future] = []
        for batch in batches:
            if self._executor is not None:
                futures.append(self._executor.submit(self._send_within, batch, deadline))
            else:
                done: Future = Future()
                done.set_result(self._send_within(batch, deadline))
                futures.append(done)
        return PendingSend(futures)

    def send_messages(self, messages: Sequence[OutgoingMessage]) -> list[Ticket]:
        """Send `messages` and wait; return one ticket each, in order."""
        return self.submit(messages).result()

    def get_receipts(self, ticket_ids: Sequence[str]) -> dict[str, Receipt]:
        """Return the receipts available for `ticket_ids`, in requests of at most 1000 ids."""
        receipts: dict[str, Receipt] = {}
        step = self.max_receipt_batch_size
        for start in range(0, len(ticket_ids), step):
            receipts.update(
                self._with_retries(self.fetch_receipts, ticket_ids[start : start + step])
            )
        return receipts

    def time_left(self) -> float | None:
        """Return the seconds left of the current send's deadline (None: no deadline)."""
        deadline = getattr(self._deadline, "value", None)
        return None if deadline is None else deadline - time.monotonic()

    def _send_within(
        self, batch: Sequence[OutgoingMessage], deadline: float | None
    ) -> list[Ticket]:
        self._deadline.value = deadline  # per thread: each batch runs in one thread
        try:
            return self._send_with_retries(batch)
        finally:
            self._deadline.value = None

    def _send_with_retries(self, batch: Sequence[OutgoingMessage]) -> list[Ticket]:
        tickets: list[Ticket | None] = [None] * len(batch)
        unanswered = list(range(len(batch)))
        for attempt in range(self.retry_attempts):
            left = self.time_left()
            if left is not None and left <= 0:
                for index in unanswered:
                    tickets[index] = Ticket.failed(TIMEOUT, "the delivery's time budget ran out")
                return tickets  # type: ignore[return-value]
            if attempt:
                self.stats.count("retries")
                counters.RETRIES.inc()
            counters.RATE_LIMIT_WAIT.inc(self.limiter.acquire(len(unanswered)))
            try:
                answered = self._counted_send([batch[index] for index in unanswered])
            except BatchFailed as failure:
                # Each message gets the code back as its ticket: delivery acts on it there.
                self._count_failure(failure)
                if failure.rule.isolate and len(unanswered) > 1:
                    # Refused whole for some message in it: halves apart find which.
                    half = len(unanswered) // 2
                    for part in (unanswered[:half], unanswered[half:]):
                        answers = self._send_with_retries([batch[index] for index in part])
                        for index, ticket in zip(part, answers, strict=True):
                            tickets[index] = ticket
                    return tickets  # type: ignore[return-value]
                if not failure.rule.retry or attempt + 1 == self.retry_attempts:
                    for index in unanswered:
                        tickets[index] = Ticket.failed(failure.error, failure.message)
                    return tickets  # type: ignore[return-value]
                self._sleep_before_retry(attempt, failure.retry_after)
                continue
            retry_later = []
            for index, ticket in zip(unanswered, answered, strict=True):
                tickets[index] = ticket
                if not ticket.ok and ticket.rule.retry:
                    retry_later.append(index)
            unanswered = retry_later
            if not unanswered or attempt + 1 == self.retry_attempts:
                break
            self._sleep_before_retry(attempt, None)
        return tickets  # type: ignore[return-value]

    def _counted_send(self, messages: list[OutgoingMessage]) -> list[Ticket]:
        self.stats.count("requests")
        started = time.perf_counter()
        status = "ok"
        try:
            return self.send_batch(messages)
        except BatchFailed as failure:
            status = failure.error
            raise
        finally:
            counters.EXPO_LATENCY.observe(time.perf_counter() - started)
            counters.EXPO_REQUESTS.labels(status).inc()
            if status == TOO_MANY_REQUESTS:
                counters.RATE_LIMITED.inc()

    def _with_retries(self, call: Callable[..., Any], *args: Any) -> Any:
        for attempt in range(self.retry_attempts):
            try:
                return call(*args)
            except BatchFailed as failure:
                self._count_failure(failure)
                if not failure.rule.retry or attempt + 1 == self.retry_attempts:
                    raise
                self._sleep_before_retry(attempt, failure.retry_after)
        raise AssertionError("unreachable")

    def _count_failure(self, failure: BatchFailed) -> None:
        self.stats.count_failure(failure.error)
        logger.warning("Expo request failed: %s: %s", failure.error, failure.message)

    def _sleep_before_retry(self, attempt: int, retry_after: float | None) -> None:
        # Full jitter: spreads the retries of concurrent batches and of other workers.
        ceiling = min(self.retry_backoff_max, self.retry_backoff * 2**attempt)
        delay = random.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_backoff_max))
        left = self.time_left()
        if left is not None:
            delay = min(delay, max(0.0, left))
        time.sleep(delay)
