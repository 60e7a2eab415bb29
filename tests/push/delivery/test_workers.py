"""The outbox under real failure: worker processes, crashes, faults, concurrent workers."""

import signal

import pytest
from django.db.models import Count
from django.utils import timezone

from push.delivery.engine import CHUNKS_IN_FLIGHT
from push.models import NotificationLog, PushDelivery, PushToken
from tests.support import processes
from tests.support.expo import GATEWAY_HTML, HTTP_500, RESET, TIMEOUT

pytestmark = pytest.mark.django_db(transaction=True)


def backlog(django_user_model, count: int) -> list[str]:
    """Create `count` users with one device each and a pending notification each."""
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"w{n}") for n in range(count)]
    )
    tokens = [f"ExponentPushToken[worker-{user.pk}]" for user in users]
    PushToken.objects.bulk_create(
        PushToken(user=user, token=token) for user, token in zip(users, tokens, strict=True)
    )
    NotificationLog.objects.bulk_create(
        NotificationLog(user=user, title="Backlog", body="Deliver me") for user in users
    )
    return tokens


def pending() -> int:
    return NotificationLog.objects.filter(status="pending").count()


def assert_each_device_exactly_once(expo, tokens):
    received = {message["to"] for message in expo.delivered}
    assert received == set(tokens), f"{len(set(tokens) - received)} devices got nothing"
    assert len(expo.delivered) == len(tokens)
    assert expo.duplicates() == {}


def test_two_workers_drain_the_same_backlog_delivering_each_device_once(django_user_model, expo):
    tokens = backlog(django_user_model, 2000)
    expo.latency = 0.05  # batches stay in flight while the other worker claims
    workers = [
        processes.start(["push_deliver", "--loop", "--interval", "0.2"], BATCH_SIZE=100)
        for _ in range(2)
    ]
    try:
        processes.wait_for(lambda: pending() == 0, timeout=120, what="the backlog to drain")
    finally:
        results = [processes.stop(worker) for worker in workers]
    for code, out, err in results:
        assert code == 0, err
        assert "push_deliver:" in out
    # Both workers took part (claims interleave) and together sent everything once.
    assert all("batch:" in out for _, out, _ in results)
    assert_each_device_exactly_once(expo, tokens)
    assert NotificationLog.objects.filter(status="sent", successful=True).count() == 2000


def test_thirty_percent_faults_still_deliver_everything_once(django_user_model, expo):
    tokens = backlog(django_user_model, 2000)
    expo.fail_next(HTTP_500)  # at least one batch needs a second delivery attempt
    expo.set_fault_rate(0.3, kinds=(HTTP_500, GATEWAY_HTML, TIMEOUT, RESET))
    worker = processes.start(
        ["push_deliver", "--loop", "--interval", "0.1"],
        BATCH_SIZE=200,
        RETRY_ATTEMPTS=1,
        RETRY_FOR_SECONDS=3600,
        DELIVERY_RETRY_SECONDS=0.05,
    )
    try:
        processes.wait_for(lambda: pending() == 0, timeout=180, what="every notification")
    finally:
        code, _, err = processes.stop(worker)
    assert code == 0, err
    assert sum(expo.stats.faults_injected.values()) > 0
    assert_each_device_exactly_once(expo, tokens)
    assert NotificationLog.objects.filter(status="sent").count() == 2000
    # Some notifications needed more than one delivery attempt of their own.
    assert NotificationLog.objects.filter(attempts__gt=1).exists()


def test_a_killed_worker_loses_nothing(django_user_model, expo):
    tokens = backlog(django_user_model, 600)
    expo.latency = 0.3
    first = processes.start(
        ["push_deliver", "--loop", "--interval", "0.1"], BATCH_SIZE=100, LEASE_SECONDS=2
    )
    processes.wait_for(lambda: len(expo.delivered) > 0, timeout=60, what="a first delivery")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert pending() > 0, "the worker finished before it could be killed"
    expo.latency = 0.0
    second = processes.start(
        ["push_deliver", "--loop", "--interval", "0.1"], BATCH_SIZE=200, LEASE_SECONDS=2
    )
    try:
        processes.wait_for(lambda: pending() == 0, timeout=60, what="the rest")
    finally:
        code, _, err = processes.stop(second, timeout=90)
    assert code == 0, err
    received = {message["to"] for message in expo.delivered}
    assert received == set(tokens)  # none lost
    # Expo may have accepted what the killed worker never recorded: at-least-once, at most
    # the batches that were in flight.
    in_flight = (CHUNKS_IN_FLIGHT + 1) * 100
    assert sum(count - 1 for count in expo.duplicates().values()) <= in_flight


def test_sigterm_finishes_the_batch_in_hand_and_exits_zero(django_user_model, expo):
    backlog(django_user_model, 300)
    expo.latency = 0.2
    worker = processes.start(["push_deliver", "--loop"], BATCH_SIZE=100)
    processes.wait_for(lambda: len(expo.delivered) > 0, timeout=60, what="work to start")
    code, out, err = processes.stop(worker)
    assert code == 0, err
    assert "push_deliver:" in out
    # Whatever it claimed it also recorded: nothing is left leased by the stopped worker.
    leased = NotificationLog.objects.filter(locked_until__gt=timezone.now())
    assert not leased.exists()
    sent = NotificationLog.objects.filter(status="sent").count()
    assert sent == len(expo.delivered)


def test_delivery_records_one_row_per_device(django_user_model, expo):
    backlog(django_user_model, 50)
    code, out, err = processes.finish(processes.start(["push_deliver"]))
    assert code == 0, err
    assert "50 notification(s): 50 sent" in out
    per_notification = PushDelivery.objects.values("notification").annotate(n=Count("id"))
    assert {row["n"] for row in per_notification} == {1}
