"""The push layer's counters: what was sent, what Expo said, how long it took.

Counters and the histogram are prometheus_client's; with PROMETHEUS_MULTIPROC_DIR set (as
the library's multiprocess mode asks, before the process starts) every gunicorn worker,
`push_deliver` and Celery worker writes its own file and a scrape adds them all up
(push.metrics.exposition).

prometheus_client is the `metrics` extra: without it the counters count nothing, and
delivery does not notice.
"""

from typing import Any

try:
    from prometheus_client import Counter, Histogram
except ImportError:  # the `metrics` extra is not installed

    class _Uncounted:
        """A counter or histogram that keeps nothing."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def labels(self, *values: Any) -> "_Uncounted":
            return self

        def inc(self, amount: float = 1) -> None:
            pass

        def observe(self, value: float) -> None:
            pass

    Counter = Histogram = _Uncounted  # type: ignore[assignment,misc]

NOTIFICATIONS = Counter(
    "push_notifications", "Notifications settled, by type and outcome.", ["type", "outcome"]
)
EXPO_REQUESTS = Counter(
    "push_expo_requests", "Requests to Expo, by result (ok or the error code).", ["status"]
)
EXPO_LATENCY = Histogram(
    "push_expo_request_seconds",
    "Time of one request to Expo.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TICKETS = Counter("push_tickets", "Expo tickets, by result (ok or the error code).", ["result"])
RECEIPTS = Counter("push_receipts", "Expo receipts, by result (ok or the error code).", ["result"])
TOKENS_DEACTIVATED = Counter(
    "push_tokens_deactivated", "Device tokens deactivated, by reason.", ["reason"]
)
RETRIES = Counter("push_expo_retries", "Requests to Expo sent again after a failure.")
RATE_LIMITED = Counter("push_expo_429", "HTTP 429 answers from Expo.")
RATE_LIMIT_WAIT = Counter(
    "push_rate_limit_wait_seconds", "Time spent waiting for the Expo rate limit."
)


COUNTERS = (
    NOTIFICATIONS,
    EXPO_REQUESTS,
    EXPO_LATENCY,
    TICKETS,
    RECEIPTS,
    TOKENS_DEACTIVATED,
    RETRIES,
    RATE_LIMITED,
    RATE_LIMIT_WAIT,
)
