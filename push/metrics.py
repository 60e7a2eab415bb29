"""Prometheus metrics of the push layer: what was sent, what Expo said, how long it took.

Counters and the histogram are prometheus_client's; with PROMETHEUS_MULTIPROC_DIR set (as
the library's multiprocess mode asks, before the process starts) every gunicorn worker,
`push_deliver` and Celery worker writes its own file and a scrape adds them all up. The
outbox gauges (pending, held, oldest pending, receipts awaiting) are read from the
database at scrape time, so they are right whichever process answers.
"""

import os
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

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


class OutboxCollector(Collector):
    """Gauges of the outbox, counted in the database when scraped (the overview's figures)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from push.overview.stats import outbox_figures

        now = timezone.now()
        figures = outbox_figures(now)
        oldest = figures.oldest_pending_at
        yield GaugeMetricFamily(
            "push_outbox_pending", "Pending notifications due now.", value=figures.pending_due
        )
        yield GaugeMetricFamily(
            "push_outbox_held",
            "Pending notifications waiting for a later time (retries, quiet hours, the cap).",
            value=figures.held,
        )
        yield GaugeMetricFamily(
            "push_outbox_oldest_pending_seconds",
            "Age of the oldest pending notification.",
            value=(now - oldest).total_seconds() if oldest else 0,
        )
        yield GaugeMetricFamily(
            "push_receipts_awaiting",
            "Accepted tickets without a receipt yet.",
            value=figures.receipts_awaiting,
        )


_COUNTERS = (
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


def exposition() -> bytes:
    """Return every metric in Prometheus' text format, all processes added up."""
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        for collector in _COUNTERS:
            registry.register(collector)
    registry.register(OutboxCollector())
    return generate_latest(registry)
