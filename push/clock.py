"""One clock for every process: the database's.

Leases, due times and claim decisions compare times written by different machines. An app
server whose clock is off by minutes would see other workers' leases as expired (and send
their notifications again) or release held notifications early. So push reads time as the
database sees it: `now()` is this process's clock corrected by its measured skew.

The skew is measured with one query, then again every SYNC_SECONDS, or at once when this
machine's wall clock steps (NTP, a suspended VM: wall time and monotonic time part). On
SQLite the database is a file read with this machine's own clock: the skew is zero.
Tests that freeze `django.utils.timezone.now` still freeze `now()`: the skew is measured
against the real wall clock, not against `timezone.now()`.
"""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)

# Seconds between two measurements of the skew; a wall-clock step triggers one at once.
SYNC_SECONDS = 600.0
# A wall clock that moved this much more (or less) than monotonic time has stepped.
STEP_SECONDS = 0.5
# A smaller skew is taken as none: it is within the measurement's own noise (the query's
# round trip), and no lease or due time is that fine.
NEGLIGIBLE = timedelta(seconds=0.5)

# The database's current time, per vendor (not the transaction's start time).
_DATABASE_NOW = {
    "postgresql": "SELECT clock_timestamp()",
    "mysql": "SELECT UTC_TIMESTAMP(6)",
}


class _Skew:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = timedelta(0)
        self.synced_wall: float | None = None
        self.synced_monotonic = 0.0

    def current(self, using: str) -> timedelta:
        wall, monotonic = time.time(), time.monotonic()
        if self._stale(wall, monotonic):
            with self.lock:
                if self._stale(wall, monotonic):
                    self._measure(using)
        return self.value

    def _stale(self, wall: float, monotonic: float) -> bool:
        if self.synced_wall is None:
            return True
        elapsed = monotonic - self.synced_monotonic
        stepped = abs((wall - self.synced_wall) - elapsed) > STEP_SECONDS
        return stepped or elapsed > SYNC_SECONDS

    def _measure(self, using: str) -> None:
        connection = connections[using]
        query = _DATABASE_NOW.get(connection.vendor)
        before_wall, before = time.time(), time.monotonic()
        if query is None:  # SQLite: this machine's clock is the database's
            self.value = timedelta(0)
        else:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(query)
                    (database_now,) = cursor.fetchone()
            except Exception as exc:  # no database now: keep the last skew, try again soon
                logger.warning("Could not read the database's clock: %s", type(exc).__name__)
                self.synced_wall = before_wall - SYNC_SECONDS + 5.0
                self.synced_monotonic = before - SYNC_SECONDS + 5.0
                return
            after = time.monotonic()
            if timezone.is_naive(database_now):
                database_now = database_now.replace(tzinfo=UTC)
            # The query's midpoint on our wall clock stands for the database's answer.
            midpoint = datetime.fromtimestamp(before_wall + (after - before) / 2, tz=UTC)
            skew = database_now - midpoint
            if abs(skew) < NEGLIGIBLE:
                skew = timedelta(0)
            else:
                offset = -skew.total_seconds()
                logger.info("This machine's clock is %.1f s off the database's.", offset)
            self.value = skew
        self.synced_wall, self.synced_monotonic = before_wall, before


_skew = _Skew()


def now(using: str = "default") -> datetime:
    """Return the database's idea of the current time (aware, UTC)."""
    return timezone.now() + _skew.current(using)


def skew(using: str = "default") -> timedelta:
    """Return how far the database's clock is ahead of this machine's (negative: behind)."""
    return _skew.current(using)
