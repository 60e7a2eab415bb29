"""Fixtures of the push tests."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from push import receivers as receivers_module
from tests.support.clock import Clock


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Freeze `django.utils.timezone.now` (auto_now fields, claims, leases, screening)."""
    clock = Clock(datetime(2024, 6, 10, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def scratch_declarations():
    """Declarations made in a test are removed again, with their signal connections."""
    before = {declaration.name for declaration in receivers_module.declarations()}
    yield
    for declaration in receivers_module.declarations():
        if declaration.name not in before:
            receivers_module.forget(declaration.builder)
