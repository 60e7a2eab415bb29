"""Testing a project that sends pushes: delivered at once, to `push.outbox`, like mail.outbox.

    from push.testing import override_push

    @override_push()
    class OrderTests(TestCase):
        def test_a_new_order_notifies_the_seller(self):
            Order.objects.create(...)
            self.assertEqual([m.payload["title"] for m in push.outbox], ["New Order! 🎉"])

pytest users get the same in every test without asking (the `push` pytest plugin,
push.testing.pytest_plugin), with the `push_outbox` and `push_receivers_disabled` fixtures.

Each save counts as committed: a test case's own transaction (TestCase, pytest-django's
`db`) is no transaction of the project's (push.handoff.in_transaction), so a save delivers
at once, the same under `db`, `transactional_db` and captured on-commit callbacks. A
transaction the test opens itself (`with transaction.atomic():`) still holds its
notifications until it commits, which a TestCase never does: wrap it in
`captureOnCommitCallbacks(execute=True)` to see them.
"""

from typing import Any

from django.conf import settings
from django.test.utils import override_settings

LOCMEM = "push.transports.locmem.LocmemTransport"


class override_push(override_settings):
    """Deliver inline to `push.outbox`, emptied first, with any other push settings given.

    A decorator of test classes and functions, or a context manager. `push_settings` are
    PUSH_NOTIFICATIONS keys, laid over the project's own.
    """

    def __init__(self, **push_settings: Any) -> None:
        self.push_settings = {
            "DELIVERY": "inline",
            "TRANSPORT": LOCMEM,
            "RECEIVER_ERRORS": "raise",  # a broken receiver fails its test, never silently
            **push_settings,
        }
        project = getattr(settings, "PUSH_NOTIFICATIONS", None) or {}
        super().__init__(PUSH_NOTIFICATIONS={**project, **self.push_settings})

    def enable(self) -> None:
        _fresh_start()
        super().enable()

    def decorate_class(self, cls: type) -> type:
        cls = super().decorate_class(cls)
        set_up = cls.setUp

        def setUp(test: Any) -> None:
            _fresh_start()
            set_up(test)

        cls.setUp = setUp
        return cls


def _fresh_start() -> None:
    """An empty outbox, and no delivery thread of an earlier test still running."""
    import push
    from push.delivery import background

    background.shutdown(0)
    push.outbox.clear()


__all__ = ["LOCMEM", "override_push"]
