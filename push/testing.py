"""Pytest fixtures for projects that use the push app (loaded as a pytest plugin).

    def test_order_notifies_the_seller(push_outbox, settings):
        settings.PUSH_NOTIFICATIONS = {"TRANSPORT": "push.transports.locmem.LocmemTransport"}
        ...
        assert [m.payload["title"] for m in push_outbox] == ["New Order! 🎉"]

Installed with the package as the `push` pytest plugin (entry point `pytest11`).
"""

from collections.abc import Iterator

import pytest


@pytest.fixture
def push_outbox() -> Iterator[list]:
    """Return `push.outbox`, emptied before and after the test."""
    import push

    push.outbox.clear()
    yield push.outbox
    push.outbox.clear()


@pytest.fixture
def push_receivers_disabled() -> Iterator[None]:
    """Run the test with every push receiver switched off (saves notify nobody)."""
    from push.receivers import receivers_disabled

    with receivers_disabled():
        yield
