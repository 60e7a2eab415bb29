"""Client-side rate limiting, so bulk sends stay under Expo's 600 notifications a second."""

import threading
import time


class TokenBucket:
    """A thread-safe token bucket: `rate` tokens a second, at most `capacity` saved up.

    Expo counts notifications, so callers acquire one token per recipient. A capacity of one
    request (100) keeps bursts far below what a server allowing 600 a second tolerates.
    """

    def __init__(self, rate: float, capacity: float) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self, count: float = 1) -> float:
        """Block until `count` tokens are taken; return the seconds spent waiting.

        More than `capacity` tokens (a 100-recipient batch under a rate below 100 a second)
        are taken in bucket-sized pieces, so the rate still holds.
        """
        waited = 0.0
        while count > self.capacity:
            waited += self._take(self.capacity)
            count -= self.capacity
        return waited + self._take(count)

    def _take(self, count: float) -> float:
        """Block until `count` (at most `capacity`) tokens are taken; return the wait."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= count:
                    self._tokens -= count
                    return waited
                shortfall = (count - self._tokens) / self.rate
            time.sleep(shortfall)
            waited += shortfall


class Unlimited:
    """A limiter that never waits (transports that do not talk to Expo)."""

    def acquire(self, count: int = 1) -> float:
        """Return at once: nothing to wait for."""
        return 0.0
