"""The test kit a host project gets: its tests deliver inline to the outbox, by themselves.

Each test here runs a host-style test file in a pytest of its own (pytester, a subprocess):
the `push` pytest plugin as installed, none of this suite's fixtures.
"""

import textwrap
from pathlib import Path

import pytest
from django.db import connection

from tests.support import processes

HOST_TESTS = textwrap.dedent(
    """
    import pytest
    from django.contrib.auth import get_user_model
    from django.db import transaction

    import push
    from orders.models import Order, Product
    from push.delivery import background
    from push.models import PushToken


    def make_order():
        seller = get_user_model().objects.create_user("seller", first_name="Sam")
        buyer = get_user_model().objects.create_user("buyer", first_name="Bea")
        PushToken.objects.create(user=seller, token="ExponentPushToken[kit-seller]")
        PushToken.objects.create(user=buyer, token="ExponentPushToken[kit-buyer]")
        product = Product.objects.create(seller=seller, name="Lamp", price=5)
        return Order.objects.create(product=product, buyer=buyer)


    def titles(outbox):
        return [message.payload["title"] for message in outbox]


    @pytest.mark.django_db
    def test_under_db(push_outbox):
        make_order()
        assert titles(push_outbox) == ["New Order! 🎉"]


    @pytest.mark.django_db(transaction=True)
    def test_under_transactional_db(push_outbox):
        make_order()
        assert titles(push_outbox) == ["New Order! 🎉"]


    @pytest.mark.django_db
    def test_with_captured_on_commit_callbacks(push_outbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            make_order()
        assert titles(push_outbox) == ["New Order! 🎉"]


    @pytest.mark.parametrize("transactional", [False, True])
    def test_two_saves_are_two_notifications_as_with_real_commits(
        push_outbox, request, transactional
    ):
        request.getfixturevalue("transactional_db" if transactional else "db")
        order = make_order()
        push_outbox.clear()
        for status in ("processing", "shipped"):
            order.status = status
            order.save()
        assert [m.payload["body"] for m in push_outbox] == [
            "Your order is being processed",
            "Your order has been shipped",
        ]


    @pytest.mark.django_db
    def test_a_transaction_of_the_tests_own_waits_for_its_commit(
        push_outbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                make_order()
                assert push_outbox == []
        assert titles(push_outbox) == ["New Order! 🎉"]


    def test_nothing_keeps_running():
        assert background._current is None
    """
)


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def host(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the site's apps, as a host's own
    # A database of its own: never this session's test database.
    if connection.vendor == "postgresql":
        url = processes.test_database_url().rsplit("/", 1)[0] + "/push_testing_kit"
    else:
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    pytester.makeini(
        """
        [pytest]
        DJANGO_SETTINGS_MODULE = unitrade.settings
        """
    )
    pytester.makepyfile(test_host=HOST_TESTS)
    return pytester


def test_a_host_projects_tests_deliver_inline_under_every_database_fixture(host):
    result = host.runpytest_subprocess("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=7)
