"""Fixtures of the push tests."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone


class Clock:
    """Django's idea of now (`timezone.now()`), set by the test; monotonic time is untouched."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Freeze `django.utils.timezone.now` (auto_now fields, claims, leases, screening)."""
    clock = Clock(datetime(2024, 6, 10, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock
