"""DELIVERY = "celery": a real worker process with the Redis broker, after commit."""

import os
import time

import pytest
from django.db import connection

import push
from push.models import NotificationLog, PushToken
from tests.support import processes
from tests.support.marketplace import BUYER_TOKEN

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

# The suite owns one Redis database, 15 unless PUSH_TEST_REDIS_URL names another, and
# empties it before and after these tests (README, "Development"): keep nothing there.
BROKER_URL = os.environ.get("PUSH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SHARED_LIMIT = 300  # notifications a second, for the server and for all workers together


def _redis():
    import redis

    return redis.Redis.from_url(BROKER_URL)


@pytest.fixture(scope="module")
def celery_worker(_expo_server, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        env = processes.worker_env(
            EXPO_BASE_URL=_expo_server.url,
            DELIVERY="celery",
            RATE_LIMIT_PER_SECOND=SHARED_LIMIT,
            RATE_LIMIT_REDIS_URL=BROKER_URL,
            RETRY_BACKOFF_SECONDS=0.01,
            READ_TIMEOUT=5,
        )
        connection.close()
    env["CELERY_BROKER_URL"] = BROKER_URL
    _redis().flushdb()
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    worker = processes.start_celery_worker(env, log)
    worker.log = log
    yield worker
    processes.stop(worker)
    _redis().flushdb()


@pytest.fixture
def celery_mode(settings, celery_worker, expo):
    from unitrade.celery import app

    app.conf.broker_url = BROKER_URL
    settings.PUSH_NOTIFICATIONS = {**settings.PUSH_NOTIFICATIONS, "DELIVERY": "celery"}
    assert celery_worker.poll() is None, celery_worker.log.read_text()
    return expo


def wait_for_worker(celery_worker, condition, what):
    """Wait for the worker's effect; on a timeout, show what the worker logged."""
    try:
        processes.wait_for(condition, timeout=60, what=what)
    except AssertionError as timeout:
        raise AssertionError(
            f"{timeout}\n--- worker log ---\n{celery_worker.log.read_text()}"
        ) from None


def test_an_order_changed_in_the_admin_notifies_through_the_worker(
    celery_mode, celery_worker, order, client, django_user_model
):
    expo = celery_mode
    expo.reset()
    expo.latency = 1.0  # Expo is slow: the admin must not wait for it
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    response = client.post(
        f"/admin/orders/order/{order.pk}/change/",
        {"product": order.product_id, "buyer": order.buyer_id, "status": "shipped"},
    )
    assert response.status_code == 302
    assert expo.delivered == []  # the save returned before Expo answered
    wait_for_worker(
        celery_worker,
        lambda: any(m["to"] == BUYER_TOKEN for m in expo.delivered),
        "the worker to deliver",
    )
    message = next(m for m in expo.delivered if m["to"] == BUYER_TOKEN)
    assert message["body"] == "Your order has been shipped"
    wait_for_worker(
        celery_worker,
        lambda: not NotificationLog.objects.filter(status="pending").exists(),
        "the log rows to settle",
    )


def test_push_send_is_queued_and_delivered(celery_mode, celery_worker, user):
    expo = celery_mode
    PushToken.objects.create(user=user, token="ExponentPushToken[celery-phone]")
    log = push.send(user, "Hi", "From a worker")
    assert log.status == "pending"
    wait_for_worker(
        celery_worker,
        lambda: expo.delivered_count("ExponentPushToken[celery-phone]") == 1,
        "delivery",
    )
    wait_for_worker(
        celery_worker,
        lambda: NotificationLog.objects.get(pk=log.pk).status == "sent",
        "the row to be marked sent",
    )


def test_workers_share_one_rate_limit_so_more_workers_add_no_429s(
    celery_mode, celery_worker, django_user_model
):
    expo = celery_mode
    expo.rate_per_second = SHARED_LIMIT
    expo.burst = SHARED_LIMIT
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"c{n}") for n in range(1200)]
    )
    PushToken.objects.bulk_create(
        PushToken(user=u, token=f"ExponentPushToken[celery-{u.pk}]") for u in users
    )
    time.sleep(1.1)  # a full server bucket
    summary = push.send_bulk(
        django_user_model.objects.filter(username__startswith="c"), "Hello", "Everyone"
    )
    assert summary["pending"] == 1200  # queued in 3 tasks, run by 2 worker processes
    wait_for_worker(celery_worker, lambda: len(expo.delivered) >= 1200, "1,200 deliveries")
    # The workers record after Expo answers: the test's end (a TRUNCATE) must not race them.
    wait_for_worker(
        celery_worker,
        lambda: not NotificationLog.objects.filter(status="pending").exists(),
        "the log rows to settle",
    )
    assert expo.stats.rate_limited == 0
    assert expo.duplicates() == {}
