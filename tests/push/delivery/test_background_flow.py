"""The background thread keeps everything flowing: past a hung request, to the receipts, and
it costs the database little while idle."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

import push
from push.delivery import background
from push.models import NotificationLog, PushDelivery, PushToken
from tests.support import processes
from tests.support.background import background_delivery
from tests.support.devices import users_with_devices

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hang(_expo_server):
    """`hang(seconds)`: the next send request is held unanswered that long, then cut."""
    before = _expo_server.timeout_seconds

    def hang_next(seconds: float) -> None:
        _expo_server.timeout_seconds = seconds
        _expo_server.fail_next("timeout")

    yield hang_next
    _expo_server.timeout_seconds = before


def test_one_hung_request_delays_only_its_own_chunk(settings, expo, hang):
    yield_ = background_delivery(settings, expo, BATCH_SIZE=100, READ_TIMEOUT=10.0)
    next(yield_)
    try:
        tokens = users_with_devices(400, prefix="hung")
        hang(8.0)
        users = get_user_model().objects.order_by("pk")
        hung_at = time.monotonic()
        push.send_bulk(users, "Hi", "Past the hung one")  # four chunks of 100
        processes.wait_for(lambda: len(expo.delivered) >= 300, 10, "the other chunks")
        # The others were accepted while the hung request was still waiting for its answer
        # (another may be in flight too: a retry, or a look for receipts).
        assert time.monotonic() - hung_at < 8.0
        assert expo.in_flight >= 1
        assert expo.stats.faults_injected == {"timeout": 1}
        processes.wait_for(
            lambda: NotificationLog.objects.filter(status="sent").count() == 400,
            20,
            "the hung chunk, retried",
        )
        assert sorted(message["to"] for message in expo.delivered) == sorted(tokens)
    finally:
        next(yield_, None)


def test_the_thread_fetches_receipts_and_retires_dead_tokens_by_itself(settings, expo):
    mode = background_delivery(settings, expo, RECEIPT_MIN_AGE_SECONDS=0.5)
    next(mode)
    try:
        tokens = users_with_devices(3, prefix="rcpt")
        expo.receipt_errors[tokens[1]] = "DeviceNotRegistered"
        push.send_bulk(get_user_model().objects.all(), "Hi", "Receipts later")
        # Nothing else runs: no cron, no Celery, no push_receipts.
        processes.wait_for(
            lambda: PushDelivery.objects.exclude(receipt_status="").count() == 3,
            15,
            "the thread to fetch the receipts",
        )
        assert dict(PushToken.objects.values_list("token", "is_active")) == {
            tokens[0]: True,
            tokens[1]: False,
            tokens[2]: True,
        }
        assert PushToken.objects.get(token=tokens[1]).deactivation_reason == "DeviceNotRegistered"
    finally:
        next(mode, None)


def _transactions() -> int:
    """Transactions committed and rolled back in the test database so far (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_stat_database: PostgreSQL")
def test_an_idle_thread_looks_less_and_less_often(settings, expo):
    # Scaled down: a look every 0.1 s while busy, backing off to one every 1.6 s when idle.
    mode = background_delivery(settings, expo, BACKGROUND_POLL_SECONDS=0.1, IDLE_POLL_SECONDS=1.6)
    next(mode)
    try:
        background.worker()
        time.sleep(2.0)  # past the first looks and their backoff
        before = _transactions()
        time.sleep(8.0)
        used = _transactions() - before - 2  # this test's own two statistics queries
        # A look is one transaction, and one more to set the new connection's time zone
        # (PostgreSQL flushes its counts up to a second late: allow one more): at most 6
        # looks in 8 s, where a fixed 0.1 s poll would make 80 (160 transactions).
        assert used <= 6 * 3, used
    finally:
        next(mode, None)


def test_a_look_that_fails_backs_off_instead_of_spinning(settings, expo, caplog):
    # A database without push's tables (not migrated yet): every look fails.
    mode = background_delivery(settings, expo, BACKGROUND_POLL_SECONDS=0.1, IDLE_POLL_SECONDS=1.0)
    next(mode)
    table = connection.ops.quote_name("push_notificationlog")
    hidden = connection.ops.quote_name("push_notificationlog_hidden")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {hidden}")
    try:
        with caplog.at_level("ERROR", logger="push.delivery.background"):
            background.worker()
            time.sleep(2.0)
        failures = [r for r in caplog.records if r.name == "push.delivery.background"]
        # Looks at 0, 0.2, 0.6, 1.4 s and then every second: a handful, never thousands.
        assert 1 <= len(failures) <= 6, len(failures)
    finally:
        background.shutdown(5)
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {hidden} RENAME TO {table}")
        next(mode, None)
