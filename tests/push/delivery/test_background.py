"""DELIVERY = "background": the process's delivery thread, its queue, its exit, its retries."""

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

import push
from orders.models import Order, Product
from push.delivery import background
from push.delivery.engine import CHUNKS_IN_FLIGHT
from push.models import NotificationLog, PushToken
from tests.support import processes
from tests.support.api import bearer_client
from tests.support.background import POLL, RETRY
from tests.support.devices import users_with_devices
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db(transaction=True)


def pending() -> int:
    return NotificationLog.objects.filter(status="pending").count()


def all_sent(count: int) -> bool:
    return NotificationLog.objects.filter(status="sent").count() == count


def test_a_save_is_delivered_by_the_thread_not_by_the_caller(background_mode):
    expo = background_mode
    expo.latency = 0.3
    [token] = users_with_devices(1)
    user = PushToken.objects.get().user
    start = time.monotonic()
    log = push.send(user, "Hi", "From the background")
    assert time.monotonic() - start < 0.25  # no Expo round trip in the caller
    assert log.status == "pending"
    processes.wait_for(lambda: expo.delivered_count(token) == 1, 10, "the delivery")
    processes.wait_for(lambda: all_sent(1), 10, "the row to be marked sent")
    assert expo.duplicates() == {}


def test_a_model_save_notifies_through_the_thread(background_mode, django_user_model):
    expo = background_mode
    [seller_token, buyer_token] = users_with_devices(2, prefix="shop")
    seller, buyer = (token.user for token in PushToken.objects.order_by("pk"))
    product = Product.objects.create(seller=seller, name="Lamp", price=Decimal(5))
    order = Order.objects.create(product=product, buyer=buyer)
    order.status = Order.Status.SHIPPED
    order.save()
    processes.wait_for(lambda: all_sent(2), 10, "both notifications")
    assert expo.delivered_count(seller_token) == 1
    assert expo.delivered_count(buyer_token) == 1


def test_a_full_queue_never_blocks_and_the_due_poll_delivers_the_rest(
    background_mode, settings, caplog
):
    expo = background_mode
    push_settings_update(settings, BACKGROUND_QUEUE_SIZE=2)
    expo.latency = 0.2
    tokens = users_with_devices(30)
    users = list(get_user_model().objects.order_by("pk"))
    with caplog.at_level(logging.WARNING, logger="push.delivery.background"):
        start = time.monotonic()
        for user in users:
            push.send(user, "Hi", "One of many")
        elapsed = time.monotonic() - start
    assert elapsed < 3.0  # 30 saves, none waiting for Expo (0.2 s a request)
    assert "queue is full" in caplog.text
    processes.wait_for(lambda: all_sent(30), 20, "the due-poll to deliver the overflow")
    assert sorted(message["to"] for message in expo.delivered) == sorted(tokens)
    assert expo.duplicates() == {}


def test_a_transient_failure_is_retried_by_the_thread_alone(background_mode):
    """Expo goes away, a save happens, Expo comes back: one delivery, nothing else started."""
    expo = background_mode
    [token] = users_with_devices(1)
    user = PushToken.objects.get().user
    expo.stop()
    try:
        log = push.send(user, "Hi", "While Expo is down")
        processes.wait_for(
            lambda: NotificationLog.objects.get(pk=log.pk).attempts >= 1, 10, "the first attempt"
        )
        row = NotificationLog.objects.get(pk=log.pk)
        assert row.status == "pending"
        assert "CONNECTION_ERROR" in row.error_message
    finally:
        expo.start()  # on the same port
    started = time.monotonic()
    processes.wait_for(lambda: expo.delivered_count(token) == 1, 10, "the retry")
    processes.wait_for(lambda: all_sent(1), 10, "the row to be marked sent")
    # Within the retry schedule: the wait after a first failure, plus a poll or two.
    assert time.monotonic() - started < RETRY * 2 + POLL * 4 + 1
    time.sleep(RETRY + POLL * 3)
    assert expo.delivered_count(token) == 1


def test_the_thread_delivers_what_a_dead_process_left(background_mode):
    """Pending rows with no hand-off (another process died) are found by the due-poll."""
    expo = background_mode
    tokens = users_with_devices(5)
    NotificationLog.objects.bulk_create(
        NotificationLog(user=token.user, title="Left", body="Behind")
        for token in PushToken.objects.all()
    )
    background.worker()  # what a web process's first request does
    processes.wait_for(lambda: all_sent(5), 10, "the leftovers")
    assert sorted(message["to"] for message in expo.delivered) == sorted(tokens)


def test_push_send_and_the_test_endpoint_deliver_now_and_report_it(background_mode, settings):
    expo = background_mode
    [token] = users_with_devices(1)
    user = PushToken.objects.get().user
    out = _call("push_send", "--user", user.username, "--title", "Hi", "--body", "Now")
    assert "1 user(s): 1 sent" in out
    assert expo.delivered_count(token) == 1
    settings.DEBUG = True
    body = bearer_client(user).generic("POST", "/api/users/push-tokens/test/").json()
    assert (body["success"], body["message"]) == (True, "Notification sent successfully")
    assert expo.delivered_count(token) == 2


def test_the_test_endpoint_says_when_nothing_was_sent_and_that_it_will_retry(
    background_mode, settings
):
    settings.DEBUG = True
    dead = f"http://127.0.0.1:{_free_port()}/--/api/v2/push"
    push_settings_update(settings, EXPO_BASE_URL=dead, DELIVERY_RETRY_SECONDS=60)
    users_with_devices(1)
    user = PushToken.objects.get().user
    body = bearer_client(user).generic("POST", "/api/users/push-tokens/test/").json()
    assert body["success"] is False
    assert body["message"].startswith(
        "Notification not sent yet; it will be retried automatically by this server from "
    )
    assert body["details"]["status"] == "pending"
    assert "CONNECTION_ERROR" in body["details"]["error"]


def test_the_thread_closes_its_database_connections(background_mode):
    expo = background_mode
    tokens = users_with_devices(3)
    users = list(get_user_model().objects.order_by("pk"))
    background.worker()
    time.sleep(POLL * 3)  # the first due-poll ran and closed its connection
    before = _open_connections()
    for n in range(30):
        push.send(users[n % 3], "Hi", f"Batch {n}")
        processes.wait_for(lambda n=n: all_sent(n + 1), 10, "a delivery")
    processes.wait_for(
        lambda: _open_connections() <= before, 5, "the thread's connections to be closed"
    )
    assert len(expo.delivered) == 30
    assert {message["to"] for message in expo.delivered} == set(tokens)


def _open_connections() -> int:
    """Connections to the test database: sessions on PostgreSQL, open files on SQLite."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]
    name = os.path.realpath(connection.settings_dict["NAME"])
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            if os.path.realpath(fd) == name:
                count += 1
        except OSError:
            continue
    return count


# -- processes -----------------------------------------------------------------------------

SEND_AND_EXIT = textwrap.dedent(
    """
    import push
    from push.models import PushToken
    for device in PushToken.objects.order_by("pk"):
        push.send(device.user, "Hi", "Sent by a short script")
    print("sent")
    """
)


def test_a_short_script_that_sends_and_exits_has_delivered(background_mode):
    expo = background_mode
    expo.latency = 0.2
    tokens = users_with_devices(3)
    process = processes.start(
        ["shell", "-c", SEND_AND_EXIT], DELIVERY="background", BACKGROUND_POLL_SECONDS=POLL
    )
    code, out, err = processes.finish(process, timeout=60)
    assert code == 0, err
    assert "sent" in out
    # Delivered before the process ended, by the flush at exit.
    assert sorted(message["to"] for message in expo.delivered) == sorted(tokens)
    assert all_sent(3)
    assert NotificationLog.objects.filter(locked_until__isnull=False, status="pending").count() == 0


def test_a_flush_that_runs_out_of_time_leaves_the_rest_pending_and_unleased(background_mode):
    expo = background_mode
    expo.latency = 1.0
    users_with_devices(5)
    process = processes.start(
        ["shell", "-c", SEND_AND_EXIT],
        DELIVERY="background",
        BACKGROUND_FLUSH_SECONDS=0.3,
        BATCH_SIZE=1,
        LEASE_SECONDS=600,
    )
    code, _out, err = processes.finish(process, timeout=60)
    assert code == 0, err
    # The chunks in flight when time ran out may keep their lease; the rest was never claimed.
    leased = NotificationLog.objects.filter(status="pending", locked_until__isnull=False).count()
    assert leased <= CHUNKS_IN_FLIGHT
    assert pending() >= 3
    # The next process (here, this one) takes the unleased rest at once.
    expo.latency = 0.0
    background.worker()
    processes.wait_for(lambda: pending() == leased, 10, "the rest to be delivered")


def test_a_killed_process_loses_nothing(background_mode):
    expo = background_mode
    expo.latency = 1.0  # the thread is mid-request when the process dies
    tokens = users_with_devices(4)
    script = SEND_AND_EXIT + "\nimport time\ntime.sleep(60)\n"
    process = processes.start(
        ["shell", "-c", script],
        DELIVERY="background",
        LEASE_SECONDS=1,
        BATCH_SIZE=2,
        READ_TIMEOUT=5.0,
    )
    try:
        processes.wait_for(
            lambda: NotificationLog.objects.filter(locked_until__isnull=False).exists(),
            30,
            "the process to be sending",
        )
        time.sleep(0.2)  # its request is in flight (Expo answers after a second)
    finally:
        process.send_signal(signal.SIGKILL)
        processes.finish(process)
    assert pending() > 0, dict(NotificationLog.objects.values_list("status", "error_message"))
    expo.latency = 0.0
    background.worker()  # a later process: its due-poll takes the expired leases
    processes.wait_for(lambda: pending() == 0, 15, "the dead process's notifications")
    assert all_sent(4)
    # At least once: a request that reached Expo before the kill may be sent again.
    assert {message["to"] for message in expo.delivered} == set(tokens)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="several web processes and their threads writing at once: PostgreSQL",
)
def test_a_multi_process_wsgi_server_delivers_each_save_exactly_once(
    background_mode, django_user_model
):
    expo = background_mode
    expo.latency = 0.05
    users_with_devices(20, prefix="wsgi")
    buyers = list(django_user_model.objects.filter(username__startswith="wsgi").order_by("pk"))
    seller = django_user_model.objects.create_user(username="seller")
    product = Product.objects.create(seller=seller, name="Desk", price=Decimal(30))
    orders = Order.objects.bulk_create(Order(product=product, buyer=buyer) for buyer in buyers)
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")
    port = _free_port()
    server = _start_gunicorn(port)
    try:
        base = f"http://127.0.0.1:{port}"
        processes.wait_for(lambda: _answers(base), 30, "gunicorn to answer")
        session = _admin_session(base)
        for order in orders:
            response = session.post(
                f"{base}/admin/orders/order/{order.pk}/change/",
                data={
                    "product": product.pk,
                    "buyer": order.buyer_id,
                    "status": "shipped",
                    "_save": "Save",
                    "csrfmiddlewaretoken": session.cookies["csrftoken"],
                },
                headers={"Referer": base + "/admin/"},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code == 302, response.text[:500]
    finally:
        # SIGTERM: gunicorn stops its workers, whose threads flush at exit.
        code, _out, err = processes.stop(server, timeout=60)
    assert code == 0, err
    assert all_sent(20), dict(NotificationLog.objects.values_list("status").distinct())
    assert pending() == 0
    received = sorted(message["to"] for message in expo.delivered)
    assert received == sorted(f"ExponentPushToken[wsgi-{buyer.pk}]" for buyer in buyers)
    assert expo.duplicates() == {}


GUNICORN = [sys.executable, "-m", "gunicorn", "unitrade.wsgi:application", "--workers", "2"]


def _start_gunicorn(port: int) -> subprocess.Popen:
    env = processes.worker_env(DELIVERY="background", BACKGROUND_POLL_SECONDS=POLL)
    env["DJANGO_DEBUG"] = "1"
    return subprocess.Popen(
        [*GUNICORN, "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "30"],
        cwd=processes.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/admin/login/", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _admin_session(base: str) -> requests.Session:
    session = requests.Session()
    session.get(base + "/admin/login/", timeout=5)
    response = session.post(
        base + "/admin/login/",
        data={
            "username": "root",
            "password": "pw-root-123",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": base + "/admin/login/"},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
