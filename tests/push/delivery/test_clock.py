"""One clock: leases, due times and claims follow the database's time, not each server's.

The real failing thing is a worker process whose wall clock is 400 s ahead (libfaketime);
with its own clock it would take over every lease still running and release held rows
early. The database's clock matters where servers differ: PostgreSQL (SQLite is a file on
one machine, read with that machine's clock).
"""

import os
from datetime import timedelta

import pytest
from django.db import connection

from push import clock
from push.models import NotificationLog
from tests.support import processes
from tests.support.devices import users_with_devices
from tests.support.services import faketime_env, faketime_installed

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_push_clock_is_this_machines_when_the_database_runs_here():
    assert abs(clock.skew()) < timedelta(seconds=1)
    assert abs(clock.now() - NotificationLog._meta.get_field("created_at").default()) < timedelta(
        seconds=1
    )


def _require_faketime():
    if connection.vendor != "postgresql":
        pytest.skip("skewed servers share a database server: PostgreSQL")
    if not faketime_installed():
        if os.environ.get("PUSH_TEST_REQUIRE_SERVICES"):
            pytest.fail("libfaketime is missing: apt-get install -y faketime")
        pytest.skip("libfaketime is missing: apt-get install -y faketime")


def test_a_worker_400_seconds_ahead_takes_no_lease_and_releases_nothing_early(expo):
    _require_faketime()
    tokens = users_with_devices(200, prefix="skew")
    users = list(NotificationLog._meta.get_field("user").related_model.objects.order_by("pk"))
    NotificationLog.objects.bulk_create(
        NotificationLog(user=user, title="Hi", body="In flight") for user in users
    )
    held = NotificationLog.objects.create(
        user=users[0],
        title="Later",
        body="Held for 200 s",
        held=True,
        next_attempt_at=clock.now() + timedelta(seconds=200),
    )
    expo.latency = 3.0  # the first worker's chunks are in flight for a while
    first = processes.start(["push_deliver"], LEASE_SECONDS=300, READ_TIMEOUT=10.0)
    try:
        processes.wait_for(
            lambda: NotificationLog.objects.filter(locked_until__isnull=False).count() == 200,
            30,
            "the first worker to claim every row",
        )
        ahead = processes.start(["push_deliver"], env=faketime_env("+400s"), LEASE_SECONDS=300)
        code, out, err = processes.finish(ahead, timeout=60)
        assert code == 0, err
        assert "push_deliver: 0 notification(s)" in out
    finally:
        processes.finish(first, timeout=60)
    delivered = [message["to"] for message in expo.delivered]
    assert sorted(delivered) == sorted(tokens)  # each once: no lease was taken over
    held.refresh_from_db()
    assert (held.status, held.attempts) == ("pending", 0)  # not released 200 s early
