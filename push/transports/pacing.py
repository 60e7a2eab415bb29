"""Pacing of outgoing requests, so sends stay under Expo's 600 notifications a second."""

import logging
import threading
import time

logger = logging.getLogger(__name__)


# Seconds a shared-limit call to Redis may take before this process limits on its own.
REDIS_TIMEOUT = 1.0


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


# Refill and take atomically, on Redis's clock, so every worker on every machine shares
# one budget. Answers the seconds to wait (as a string: Lua numbers become integers).
_REDIS_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or capacity
local updated = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens >= count then
    tokens = tokens - count
else
    wait = (count - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], 60)
return tostring(wait)
"""


class RedisTokenBucket(TokenBucket):
    """The token bucket kept in Redis: one budget shared by all processes using `key`.

    If Redis cannot be reached the bucket falls back to this process's own bucket, so
    notifications keep flowing (more slowly than 429s would allow, never faster).
    """

    def __init__(self, url: str, rate: float, capacity: float, key: str = "push:expo-rate"):
        super().__init__(rate, capacity)
        import redis  # the [celery] extra; only needed when a shared limit is configured

        self._errors = redis.RedisError
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self._take_script = client.register_script(_REDIS_TAKE)
        self.key = key

    def _take(self, count: float) -> float:
        waited = 0.0
        while True:
            try:
                wait = float(
                    self._take_script(keys=[self.key], args=[self.rate, self.capacity, count])
                )
            except self._errors as exc:
                logger.warning("Shared rate limit unavailable (%s): limiting locally", exc)
                return waited + super()._take(count)
            if wait <= 0:
                return waited
            time.sleep(wait)
            waited += wait


def build_limiter(
    rate: float | None, capacity: float, shared_url: str | None = None
) -> "TokenBucket | Unlimited":
    """Return the limiter for `rate` notifications a second: shared in Redis at `shared_url`."""
    if not rate:
        return Unlimited()
    capacity = min(capacity, rate)
    if shared_url:
        return RedisTokenBucket(shared_url, rate, capacity)
    return TokenBucket(rate, capacity)
