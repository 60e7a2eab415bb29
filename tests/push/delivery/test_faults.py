"""Faults that must never lose, double or hang a notification, nor break the caller.

Each test starts the real failing thing: a broker port nobody listens on, a "tarpit" that
accepts connections and never answers (as the Celery broker and as Expo), a slow Expo that
outlives the workers' leases.
"""

import json
import socket
import time

import pytest
from django.db import connection, transaction
from django.db.models import Count

import push
from orders.models import Order
from push.models import NotificationLog, PushDelivery, PushToken
from tests.support import processes
from tests.support.expo import Tarpit
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    """Return a loopback port nobody listens on (a broker that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_in_shell(code: str, *, broker_url: str, timeout: float = 60, **push_settings) -> dict:
    """Run `code` in `manage.py shell` with the tests' database; return what it printed."""
    env = processes.worker_env(**push_settings)
    env["CELERY_BROKER_URL"] = broker_url
    connection.close()  # the child must see everything committed so far
    started = time.monotonic()
    process = processes.subprocess.run(
        [processes.sys.executable, "manage.py", "shell", "-c", code],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.monotonic() - started
    return result


SEND_IN_A_TRANSACTION = """
import json, time
from django.db import transaction
import push
from django.contrib.auth import get_user_model
alice = get_user_model().objects.get(username="alice")
after = []
start = time.monotonic()
with transaction.atomic():
    log = push.send(alice, "Hi", "There")
    transaction.on_commit(lambda: after.append("ran"))
elapsed = time.monotonic() - start
log.refresh_from_db()
print(json.dumps({"status": log.status, "later_hooks": after, "seconds": elapsed}))
"""

SEND_BULK = """
import json, time
import push
from django.contrib.auth import get_user_model
start = time.monotonic()
summary = push.send_bulk(get_user_model().objects.all(), "Maintenance", "Tonight")
print(json.dumps({"summary": summary, "seconds": time.monotonic() - start}))
"""

CREATE_ORDER = """
import json, time
from orders.models import Order, Product
product = Product.objects.get()
from django.contrib.auth import get_user_model
alice = get_user_model().objects.get(username="alice")
start = time.monotonic()
order = Order.objects.create(product=product, buyer=alice)
print(json.dumps({"order": order.pk, "seconds": time.monotonic() - start}))
"""


@pytest.fixture
def alice(user):
    PushToken.objects.create(user=user, token="ExponentPushToken[alice-phone-000000]")
    return user


def test_a_broker_that_is_down_breaks_neither_the_send_nor_later_hooks(alice):
    result = run_in_shell(
        SEND_IN_A_TRANSACTION,
        broker_url=f"redis://127.0.0.1:{closed_port()}/0",
        DELIVERY="celery",
    )
    assert result["status"] == "pending"  # kept for beat's poll, not lost
    assert result["later_hooks"] == ["ran"]  # the caller's other hooks still ran
    assert result["seconds"] < 5
    assert NotificationLog.objects.get().status == "pending"


def test_send_bulk_never_raises_after_its_rows_are_committed(alice, other_user):
    result = run_in_shell(
        SEND_BULK, broker_url=f"redis://127.0.0.1:{closed_port()}/0", DELIVERY="celery"
    )
    assert result["summary"]["total"] == result["summary"]["pending"] == 2
    assert NotificationLog.objects.filter(status="pending").count() == 2


def test_a_hung_broker_holds_a_save_for_seconds_not_forever(alice, product):
    with Tarpit() as tarpit:
        result = run_in_shell(CREATE_ORDER, broker_url=tarpit.redis_url, DELIVERY="celery")
    assert result["seconds"] < 6, result
    assert Order.objects.filter(pk=result["order"]).exists()
    assert NotificationLog.objects.get().status == "pending"


def test_a_hung_expo_holds_an_inline_save_only_for_the_time_budget(
    settings, order, buyer, committed
):
    with Tarpit() as tarpit:
        push_settings_update(
            settings,
            EXPO_BASE_URL=tarpit.url,
            READ_TIMEOUT=30.0,
            RETRY_ATTEMPTS=4,
            SYNC_DELIVERY_BUDGET_SECONDS=1.0,
        )
        started = time.monotonic()
        with committed():
            order.status = Order.Status.SHIPPED
            order.save()
        elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed  # was 4 tries x 30 s
    shipped = NotificationLog.objects.get(user=buyer, title="Order Update")
    assert shipped.status == "pending" and shipped.next_attempt_at is not None
    assert shipped.error_message.startswith("TIMEOUT")


def test_workers_keep_their_claims_while_sending_longer_than_a_lease(django_user_model, expo):
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"many{n}") for n in range(8)]
    )
    PushToken.objects.bulk_create(
        PushToken(user=user, token=f"ExponentPushToken[u{user.pk}-d{device}]")
        for user in users
        for device in range(100)
    )
    NotificationLog.objects.bulk_create(
        NotificationLog(user=user, title="Many devices", body="x") for user in users
    )
    expo.latency = 1.0  # 8 requests of 100 at 2 in flight: about 4 s, twice a 2 s lease
    workers = [
        processes.start(
            ["push_deliver", "--loop", "--interval", "0.05"],
            BATCH_SIZE=8,
            LEASE_SECONDS=2,
            CONCURRENCY=2,
            READ_TIMEOUT=5,
        )
        for _ in range(2)
    ]
    try:
        processes.wait_for(
            lambda: not NotificationLog.objects.filter(status="pending").exists(),
            timeout=90,
            what="every notification",
        )
        time.sleep(2.5)  # a second worker that stole a lease would send now
    finally:
        results = [processes.stop(worker) for worker in workers]
    for code, _, err in results:
        assert code == 0, err
    assert len(expo.delivered) == 800
    assert expo.duplicates() == {}
    per_notification = PushDelivery.objects.values("notification").annotate(n=Count("id"))
    assert {row["n"] for row in per_notification} == {100}


def test_bad_option_values_are_refused_before_anything_is_written(user):
    bad = [
        ({"badge": "three"}, TypeError),
        ({"badge": -1}, ValueError),
        ({"priority": "urgent"}, ValueError),
        ({"ttl": -5}, ValueError),
        ({"ttl": 1.5}, TypeError),
        ({"interruption_level": "loud"}, ValueError),
        ({"mutable_content": "yes"}, TypeError),
        ({"rich_content": {"image": "http://example.com/a.png"}}, ValueError),
        ({"collapse_id": "x" * 65}, ValueError),
        ({"sound": {"critical": True, "volume": 3}}, ValueError),
    ]
    for options, error in bad:
        with pytest.raises(error):
            push.send(user, "Hi", "There", **options)
        with pytest.raises(error):
            push.send_bulk([user], "Hi", "There", **options)
    assert not NotificationLog.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": "a\x00b"}, ValueError),
        ({"body": "lone \ud800 surrogate"}, ValueError),
        ({"data": {"text": "nul\x00"}}, ValueError),
        ({"data": {"k\x00": 1}}, ValueError),
        ({"data": {"n": float("nan")}}, ValueError),
        ({"data": {"n": float("inf")}}, ValueError),
        ({"data": {"when": object()}}, TypeError),
        ({"data": {1: "int key"}}, TypeError),
    ],
)
def test_values_no_database_or_json_can_hold_are_refused_and_the_transaction_lives_on(
    user, fields, error
):
    with transaction.atomic():
        with pytest.raises(error):
            push.send(user, **{"title": "Hi", "body": "There", **fields})
        push.send(user, "Still", "usable")  # the caller's transaction is not poisoned
    assert list(NotificationLog.objects.values_list("title", flat=True)) == ["Still"]


def test_absurdly_nested_data_is_refused(user):
    data: dict = {}
    for _ in range(100_000):
        data = {"d": data}
    with pytest.raises(ValueError, match="nested"):
        push.send(user, "Hi", "There", data=data)
    assert not NotificationLog.objects.exists()


def test_an_oversized_bulk_send_raises_before_writing_anything(user, other_user):
    huge = {"blob": "x" * 69_000}
    with pytest.raises(ValueError, match="PayloadTooLarge"):
        push.send_bulk([user, other_user], "Hi", "There", data=huge)
    assert not NotificationLog.objects.exists()


def test_an_oversized_send_is_failed_without_keeping_its_content(user):
    log = push.send(user, "Hi", "y" * 70_000, data={"blob": "x" * 69_000})
    log.refresh_from_db()
    assert (log.status, log.data, len(log.body)) == ("failed", None, 200)
    assert log.error_message.startswith("PayloadTooLarge")


def test_racing_register_remove_and_account_switch_of_one_token_never_fail(user, other_user):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from push.api.devices import register_device, remove_device

    token = "ExponentPushToken[raced-device-0000000]"

    def hammer(action, who, rounds=150) -> int:
        try:
            for _ in range(rounds):
                action(who, token, "ios") if action is register_device else action(who, token)
        finally:
            connections.close_all()
        return rounds

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [
            pool.submit(hammer, register_device, user),
            pool.submit(hammer, register_device, other_user),  # the phone switching accounts
            pool.submit(hammer, register_device, user),
            pool.submit(hammer, remove_device, user),
            pool.submit(hammer, remove_device, other_user),
            pool.submit(hammer, remove_device, user),
        ]
        done = sum(future.result() for future in futures)  # re-raises any IntegrityError
    assert done == 900
    assert PushToken.objects.filter(token=token).count() <= 1


@pytest.fixture
def broker_down(settings):
    """Celery mode with a broker port nobody listens on (this process's producer pool anew)."""
    from unitrade.celery import app

    def fresh_pool(url: str) -> None:
        app.conf.broker_url = url
        if app._pool is not None:  # the pool keeps the broker it was made for
            app._pool.force_close_all()
            app._pool = None

    original = app.conf.broker_url
    fresh_pool(f"redis://127.0.0.1:{closed_port()}/0")
    push_settings_update(settings, DELIVERY="celery")
    yield
    fresh_pool(original)


def test_the_test_endpoint_answers_the_truth_in_time_when_expo_hangs(alice, settings, api):
    from django.urls import reverse

    alice.is_staff = True  # the test endpoint answers staff (and DEBUG backends)
    alice.save()
    with Tarpit() as tarpit:
        push_settings_update(
            settings, EXPO_BASE_URL=tarpit.url, READ_TIMEOUT=30.0, SYNC_DELIVERY_BUDGET_SECONDS=1
        )
        started = time.monotonic()
        response = api.post(
            reverse("push:test_notification"), "{}", content_type="application/json"
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 3
    body = response.json()
    assert body["success"] is False
    assert body["details"]["status"] == "pending"
    assert "retr" in body["message"].lower()  # it says it will be retried
    assert NotificationLog.objects.get().status == "pending"


def test_a_send_outside_a_transaction_does_not_raise_when_the_broker_is_down(alice, broker_down):
    log = push.send(alice, "Hi", "There")
    assert log.status == "pending"
    summary = push.send_bulk([alice], "Hi", "Again")
    assert summary["pending"] == 1


def test_a_worker_records_nothing_for_rows_it_no_longer_holds(alice):
    from push.delivery.engine import deliver_ids
    from push.transports import get_transport
    from push.transports.locmem import LocmemTransport

    class LeaseLostMidSend(LocmemTransport):
        """Another worker takes the rows over while this one's request is in flight."""

        def send_batch(self, messages):
            NotificationLog.objects.update(lease_token="another-worker")
            return super().send_batch(messages)

    log = NotificationLog.objects.create(user=alice, title="Hi", body="There")  # in the outbox
    transport = get_transport("push.transports.locmem.LocmemTransport")
    transport.__class__ = LeaseLostMidSend
    report = deliver_ids([log.pk], transport)
    log.refresh_from_db()
    assert (log.status, log.lease_token, log.attempts) == ("pending", "another-worker", 0)
    assert report.total == 1  # it did send (Expo's at-least-once), but left the record alone
