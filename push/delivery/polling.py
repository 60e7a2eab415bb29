"""When a runner looks for due work next: soon while there is work, rarely while idle.

The background thread and `push_deliver --loop` look for two kinds of due work: pending
notifications (retries, held ones, leftovers of dead processes) and tickets whose receipt
is due. One look is one transaction of two aggregate queries (`due_work`), and it also
says when the next known work comes due. While nothing is due the runner looks less and
less often (BACKGROUND_POLL_SECONDS doubling up to IDLE_POLL_SECONDS), but never later
than that next known time: an idle process costs the database about one transaction a
minute.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from push import clock
from push.conf import push_settings
from push.models import NotificationLog, PushDelivery

# A ticket Expo had no receipt for yet is asked again no sooner than this.
RECEIPT_ASKED_AGAIN_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class DueWork:
    """What a look at the database found: due now, and when the next work comes due."""

    outbox_now: bool
    receipts_now: bool
    next_at: datetime | None  # the earliest known later work (None: nothing known)

    @property
    def any_now(self) -> bool:
        return self.outbox_now or self.receipts_now


# What a runner assumes after a look that failed: nothing known, back off.
NOTHING_KNOWN = DueWork(outbox_now=False, receipts_now=False, next_at=None)


def receipt_min_age() -> timedelta:
    return timedelta(seconds=push_settings.RECEIPT_MIN_AGE_SECONDS)


def due_work(*, receipts: bool = True) -> DueWork:
    """Look at the outbox (and the tickets awaiting receipts) once: one transaction."""
    now = clock.now()
    with transaction.atomic():
        outbox = NotificationLog.objects.next_due(now)
        receipt = (
            PushDelivery.objects.next_receipt_due(receipt_min_age(), RECEIPT_ASKED_AGAIN_AFTER)
            if receipts
            else None
        )
    later = [at for at in (outbox, receipt) if at is not None and at > now]
    return DueWork(
        outbox_now=outbox is not None and outbox <= now,
        receipts_now=receipt is not None and receipt <= now,
        next_at=min(later, default=None),
    )


class PollSchedule:
    """The next time to look: now at first, then as the last look and activity say."""

    def __init__(self, interval: float | None = None, idle_interval: float | None = None) -> None:
        self.interval = max(0.01, float(interval or push_settings.BACKGROUND_POLL_SECONDS))
        self.idle_interval = max(
            self.interval, float(idle_interval or push_settings.IDLE_POLL_SECONDS)
        )
        self._wait = self.interval
        self._next = time.monotonic()  # leftovers of dead processes are taken at once

    def due(self) -> bool:
        return time.monotonic() >= self._next

    def seconds_left(self) -> float:
        return max(0.0, self._next - time.monotonic())

    def looked(self, work: DueWork, *, more: bool = False) -> None:
        """Plan the next look after one that found `work` (`more`: a full batch was taken)."""
        if more:
            self._wait = self.interval
            self._next = time.monotonic()
            return
        if work.any_now:
            self._wait = self.interval
        else:
            self._wait = min(self._wait * 2, self.idle_interval)
        wait = self._wait
        if work.next_at is not None:
            wait = min(wait, max(0.0, (work.next_at - clock.now()).total_seconds()))
        self._next = time.monotonic() + wait

    def soon(self) -> None:
        """Something happened (a hand-off, a full queue): look again within one interval."""
        self._wait = self.interval
        self._next = min(self._next, time.monotonic() + self.interval)
