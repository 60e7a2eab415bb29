"""What a scrape answers: the counters of every process, and the outbox read at scrape time.

The outbox gauges (pending due now, waiting for later, the oldest pending, receipts
awaiting) are counted in the database when scraped, so they are right whichever process
answers.
"""

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from push import clock
from push.metrics.counters import COUNTERS
from push.models import NotificationLog, PushDelivery


class OutboxCollector(Collector):
    """Gauges of the outbox, counted in the database when scraped (two aggregate queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = clock.now()
        outbox = NotificationLog.objects.outbox_figures(now)
        receipts = PushDelivery.objects.receipt_figures()
        oldest = outbox["oldest"]
        yield GaugeMetricFamily(
            "push_outbox_pending", "Pending notifications due now.", value=outbox["pending"]
        )
        yield GaugeMetricFamily(
            "push_outbox_retrying",
            "Pending notifications whose last attempt failed, waiting for the next.",
            value=outbox["retrying"],
        )
        yield GaugeMetricFamily(
            "push_outbox_held",
            "Pending notifications held by their user's quiet hours or hourly cap.",
            value=outbox["held"],
        )
        yield GaugeMetricFamily(
            "push_outbox_scheduled",
            "Pending notifications due later on purpose (push_send --at, badge updates).",
            value=outbox["scheduled"],
        )
        yield GaugeMetricFamily(
            "push_outbox_oldest_pending_seconds",
            "Age of the oldest pending notification.",
            value=(now - oldest).total_seconds() if oldest else 0,
        )
        yield GaugeMetricFamily(
            "push_receipts_awaiting",
            "Accepted tickets without a receipt yet.",
            value=receipts["awaiting"],
        )


def exposition() -> bytes:
    """Return every metric in Prometheus' text format, all processes added up."""
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        for collector in COUNTERS:
            registry.register(collector)
    registry.register(OutboxCollector())
    return generate_latest(registry)
