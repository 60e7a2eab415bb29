"""Background delivery (DELIVERY = "background"): one delivery thread per process.

The commit only puts the new notifications' ids in a bounded queue; this process's
delivery thread claims and delivers them, and looks for what is due (retries, held
notifications, leftovers of dead processes, receipts to fetch) on a schedule that backs off
while nothing is (push.delivery.polling). It uses the same claims and leases as
`push_deliver` and Celery, so several web processes, a worker and Celery never send one
notification twice. The pattern is sentry-sdk's BackgroundWorker and OpenTelemetry's
BatchSpanProcessor: a queue, a daemon thread, a flush at exit.

- Several chunks in flight: each is recorded as soon as Expo answered it, so one slow or
  hung request delays only its own chunk, never the rest of the process's notifications.
- Lazy and per process: the thread starts on the first hand-off (or the first request) of
  each process id, so a web worker forked from a parent starts its own.
- Bounded: a full queue never blocks the caller; ids that do not fit stay pending and
  unleased, and the due-poll of this or any other process takes them.
- Exit: a normal interpreter exit (end of a command or script, SIGTERM to a gunicorn
  worker) lets the thread deliver what it was handed for at most
  BACKGROUND_FLUSH_SECONDS. Whatever it has not claimed by then stays pending and unleased,
  so the next process's due-poll takes it at once. A killed process loses nothing either:
  what it had claimed comes back when its lease runs out (LEASE_SECONDS).
- The thread closes its database connections whenever it has nothing in hand.
"""

import logging
import os
import queue
import threading
import time
from collections.abc import Iterable

from django.db import connections

from push.conf import BACKGROUND, push_settings
from push.delivery.claims import claim_ids
from push.delivery.engine import Pipeline, due_batches
from push.delivery.polling import (
    NOTHING_KNOWN,
    RECEIPT_ASKED_AGAIN_AFTER,
    PollSchedule,
    due_work,
)
from push.delivery.receipts import check_receipts
from push.delivery.reports import DeliveryReport

logger = logging.getLogger(__name__)

_WAKE = None  # put in the queue to wake the thread (flush, shutdown, an answer from Expo)


class BackgroundDelivery:
    """The delivery thread of one process, with its hand-off queue."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.queue: queue.Queue[int | None] = queue.Queue(
            maxsize=max(1, int(push_settings.BACKGROUND_QUEUE_SIZE))
        )
        self.total = DeliveryReport()
        self._stopping = threading.Event()
        self._deadline: float | None = None  # time.monotonic() after which nothing is claimed
        self._schedule = PollSchedule()
        self._pipeline: Pipeline | None = None
        self._thread = threading.Thread(
            target=self._run, name="push-background-delivery", daemon=True
        )

    # -- the caller's side ---------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stopping.is_set()

    def put(self, ids: list[int]) -> int:
        """Queue these ids without ever blocking; return how many fit."""
        for queued, pk in enumerate(ids):
            try:
                self.queue.put_nowait(pk)
            except queue.Full:
                left = len(ids) - queued
                logger.warning(
                    "Background delivery queue is full: %d notification(s) stay pending "
                    "for the next due-poll.",
                    left,
                )
                self._schedule.soon()
                return queued
        return len(ids)

    def stop(self, timeout: float) -> bool:
        """Deliver what was handed for at most `timeout` seconds, then end; True if done.

        What is still queued after the time limit was never claimed: it stays pending and
        unleased for the next process.
        """
        self._deadline = time.monotonic() + max(0.0, timeout)
        self._stopping.set()
        self._wake()
        self._thread.join(timeout + 0.5)
        left = self.queue.qsize()
        if self._thread.is_alive() or left:
            logger.warning(
                "Background delivery stopped with %d notification(s) not handed to Expo: "
                "they stay pending for the next process.",
                left,
            )
            return False
        return True

    def _wake(self) -> None:
        try:
            self.queue.put_nowait(_WAKE)
        except queue.Full:
            pass  # the thread has plenty to take from the queue: it is awake

    # -- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            stopping = self._stopping.is_set()
            if stopping and self._past_deadline():
                break  # what is left in the queue stays pending and unleased
            ids = self._take(self._wait(stopping))
            if ids and not (stopping and self._past_deadline()):
                self._unit(self._send_handed, ids)
            if self._pipeline is not None:
                self._unit(self._pipeline.record_finished)
            if not stopping and self._schedule.due():
                self._unit(self._look_for_due_work)
            if stopping and self.queue.empty() and not self._pipeline:
                break
            if not self._pipeline and self.queue.empty():
                connections.close_all()  # nothing in hand: give the connections back
        if self._pipeline:
            self._unit(self._pipeline.drain)
        connections.close_all()

    def _wait(self, stopping: bool) -> float:
        """How long the thread may sleep on the queue before it has something else to do.

        Expo's answers wake it through the queue (`_wake`); with chunks in flight it still
        wakes every second, to renew their leases.
        """
        if stopping:
            return 0.0 if not self.queue.empty() or not self._pipeline else 1.0
        wait = self._schedule.seconds_left()
        return min(wait, 1.0) if self._pipeline else wait

    def _take(self, timeout: float) -> list[int]:
        """Return up to one batch of handed ids, waiting at most `timeout` for the first."""
        try:
            first = self.queue.get(timeout=timeout) if timeout > 0 else self.queue.get_nowait()
        except queue.Empty:
            return []
        ids = [] if first is _WAKE else [first]
        size = push_settings.BATCH_SIZE
        while len(ids) < size:
            try:
                pk = self.queue.get_nowait()
            except queue.Empty:
                break
            if pk is not _WAKE:
                ids.append(pk)
        return ids

    def _unit(self, work, *args) -> object:
        """Run one step, never letting it kill the thread."""
        try:
            return work(*args)
        except Exception:
            logger.exception("Background delivery failed; the notifications stay pending.")
            return None

    def _past_deadline(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    def _pipeline_with_room(self) -> Pipeline:
        if self._pipeline is None or not self._pipeline:
            self._pipeline = Pipeline(on_answer=self._wake, on_chunk=self._add)
        while self._pipeline.full:
            self._pipeline.record_finished(wait=1.0)
        return self._pipeline

    def _send_handed(self, ids: list[int]) -> None:
        self._schedule.soon()
        self._pipeline_with_room().send(claim_ids(ids), claimed=True)

    def _look_for_due_work(self) -> None:
        # Whatever fails (the database is away, or not migrated yet), the next look is
        # planned: a failing look backs off like an idle one, never spins.
        work, more = NOTHING_KNOWN, False
        try:
            work = due_work()
            if work.outbox_now:
                size = push_settings.BATCH_SIZE
                for rows in due_batches(size, max_batches=1):
                    pipeline = self._pipeline_with_room()
                    more = pipeline.send(rows, claimed=True) >= size
            if work.receipts_now:
                report = check_receipts(max_batches=1, asked_again_after=RECEIPT_ASKED_AGAIN_AFTER)
                more = more or report.checked > 0  # those asked are not due again for a while
        finally:
            self._schedule.looked(work, more=more)

    def _add(self, report: DeliveryReport) -> None:
        if report.total:
            self.total.add(report)
            logger.debug("Background delivery: %s", report.summary())


_lock = threading.Lock()
_current: BackgroundDelivery | None = None
_exit_hook_registered = False


def _reset_after_fork() -> None:
    """In a forked child: the parent's thread does not exist here, nor may its lock be held."""
    global _lock, _current
    _lock = threading.Lock()
    _current = None


os.register_at_fork(after_in_child=_reset_after_fork)


def worker() -> BackgroundDelivery:
    """Return this process's running delivery thread, starting it if needed."""
    global _current
    current = _current
    if current is not None and current.pid == os.getpid() and current.alive:
        return current
    with _lock:
        current = _current
        if current is None or current.pid != os.getpid() or not current.alive:
            current = BackgroundDelivery()
            current.start()
            _current = current
            _register_exit_hook()
    return current


def hand_off(ids: Iterable[int]) -> int:
    """Give these committed notification ids to this process's thread; return how many fit.

    Never blocks. If the thread cannot be started (the interpreter is shutting down), the
    ids stay pending for the next due-poll.
    """
    ids = list(ids)
    if not ids:
        return 0
    try:
        return worker().put(ids)
    except RuntimeError:  # "can't create new thread at interpreter shutdown"
        logger.warning(
            "Background delivery is not available while the process exits: %d notification(s) "
            "stay pending for the next process.",
            len(ids),
        )
        return 0


def shutdown(timeout: float | None = None) -> bool:
    """Stop this process's thread after delivering what it was handed (at most `timeout`).

    Called at exit; tests call it to end a background test with no thread left. A later
    hand-off starts a new thread.
    """
    global _current
    with _lock:
        current, _current = _current, None
    if current is None or current.pid != os.getpid():
        return True
    if timeout is None:
        timeout = float(push_settings.BACKGROUND_FLUSH_SECONDS)
    return current.stop(timeout)


def _flush_at_exit() -> None:
    try:
        shutdown()
    except Exception:  # never turn a clean exit into a traceback
        logger.exception("Background delivery could not flush at exit.")


def _register_exit_hook() -> None:
    """Flush at a normal exit, before the transport's thread pools are shut down.

    concurrent.futures stops accepting work in a `threading` exit hook, which runs before
    `atexit` ones; a hook registered after it runs before it (they run in reverse order).
    """
    global _exit_hook_registered
    if _exit_hook_registered:
        return
    _exit_hook_registered = True
    register = getattr(threading, "_register_atexit", None)
    if register is None:  # pragma: no cover (every supported Python has it)
        import atexit

        atexit.register(_flush_at_exit)
    else:
        register(_flush_at_exit)


def start_on_request(**kwargs) -> None:
    """request_started receiver: a web process polls for due work from its first request."""
    if push_settings.DELIVERY == BACKGROUND:
        worker()
