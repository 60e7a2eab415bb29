"""Prometheus metrics: counters that delivery adds to, outbox gauges, the scrape endpoint."""
