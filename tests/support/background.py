"""Background mode in tests: a fast due-poll, and no thread left running afterwards."""

from collections.abc import Iterator

from push.delivery import background
from tests.support.settings import push_settings_update

POLL = 0.1  # BACKGROUND_POLL_SECONDS in these tests
RETRY = 0.5  # DELIVERY_RETRY_SECONDS in these tests
IDLE = 1.0  # IDLE_POLL_SECONDS in these tests


def background_delivery(settings, expo, **values) -> Iterator:
    """Switch to background delivery for one test; shut the thread down after it."""
    assert background.shutdown(0)  # none of an earlier test
    push_settings_update(
        settings,
        **{
            "DELIVERY": "background",
            "BACKGROUND_POLL_SECONDS": POLL,
            "IDLE_POLL_SECONDS": IDLE,
            "DELIVERY_RETRY_SECONDS": RETRY,
            "BACKGROUND_FLUSH_SECONDS": 10.0,
            **values,
        },
    )
    yield expo
    assert background.shutdown(10.0), "the thread did not finish its work"
