"""The `push` pytest plugin (installed with the package): tests deliver inline to the outbox.

Every test runs under `push.testing.override_push()`: notifications are delivered at once,
in the test's thread, to `push.outbox` (emptied before each test), and no delivery thread
is left running. Fixtures:

    def test_a_new_order_notifies_the_seller(push_outbox, db):
        Order.objects.create(...)
        assert [m.payload["title"] for m in push_outbox] == ["New Order! 🎉"]

A test (or an autouse fixture of a conftest) can still set other push settings with
pytest-django's `settings` fixture, e.g. a real transport against a test server.
"""

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _push_delivers_inline() -> Iterator[None]:
    """Every test: inline delivery to push.outbox; no delivery thread outlives it."""
    from django.conf import settings

    if not settings.configured:  # not a Django test session
        yield
        return
    from push.delivery import background
    from push.testing import override_push

    with override_push():
        yield
    background.shutdown(0)


@pytest.fixture
def push_outbox() -> Iterator[list]:
    """Return `push.outbox`: what the test sent, emptied before and after the test."""
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
