"""What Expo accepted is recorded, whatever the database does meanwhile; nothing is sent twice.

Each test does the real damage while Expo holds its answer (the loopback server's
`on_accept` hook): a terminated database connection, a user or a device deleted mid-flight.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

import push
from push.delivery.engine import deliver_due
from push.models import NotificationLog, PushDelivery, PushToken
from tests.support import processes
from tests.support.database import backend_pid, terminate_connections
from tests.support.devices import users_with_devices

pytestmark = pytest.mark.django_db(transaction=True)


def once(action):
    """Return an `on_accept` hook that runs `action` at the first accepted request only."""
    done = threading.Event()

    def hook(tokens):
        if not done.is_set():
            done.set()
            try:
                action(tokens)
            finally:
                connections.close_all()  # the server thread's own, if the action opened one

    return hook


def sent_once_each(expo, tokens) -> bool:
    delivered = [message["to"] for message in expo.delivered]
    return sorted(delivered) == sorted(tokens)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="connections to terminate: PostgreSQL"
)
def test_a_chunk_is_recorded_after_its_connection_was_terminated(background_mode, caplog):
    expo = background_mode
    tokens = users_with_devices(120, prefix="term")
    test_connection = backend_pid()
    terminated = []
    expo.on_accept = once(
        lambda _: terminated.append(terminate_connections(sparing={test_connection}))
    )

    push.send_bulk(get_user_model().objects.all(), "Hi", "After the cut")

    processes.wait_for(
        lambda: NotificationLog.objects.filter(status="sent").count() == 120, 30, "recording"
    )
    assert terminated and terminated[0] >= 1  # the delivery thread's connection went
    assert "trying again on a fresh connection" in caplog.text
    assert sent_once_each(expo, tokens)
    assert set(NotificationLog.objects.values_list("attempts", flat=True)) == {1}
    assert PushDelivery.objects.filter(status="accepted").count() == 120
    # Nothing is left for a later worker to send again.
    assert not NotificationLog.objects.filter(locked_until__isnull=False).exists()
    assert deliver_due().total == 0
    assert len(expo.delivered) == 120


def test_a_user_deleted_in_flight_takes_only_their_own_rows(
    user, other_user, expo, django_user_model
):
    tokens = users_with_devices(30, prefix="del")
    victim = django_user_model.objects.get(username="del7")
    expo.on_accept = once(lambda _: victim.delete())

    summary = push.send_bulk(
        list(django_user_model.objects.filter(username__startswith="del")), "Hi", "Mid-flight"
    )

    # The deleted user's notification went with them: 29 to tell about, all sent.
    assert (summary["total"], summary["successful"]) == (29, 29)
    assert NotificationLog.objects.filter(status="sent").count() == 29
    assert not NotificationLog.objects.filter(user_id=victim.pk).exists()
    assert PushDelivery.objects.count() == 29
    assert deliver_due().total == 0
    assert sent_once_each(expo, tokens)


def test_a_device_deleted_in_flight_keeps_its_delivery_row(user, expo):
    phone, tablet = (
        PushToken.objects.create(user=user, token=f"ExponentPushToken[inflight-{name}]")
        for name in ("phone", "tablet")
    )
    expo.on_accept = once(lambda _: PushToken.objects.filter(pk=tablet.pk).delete())

    log = push.send(user, "Hi", "A device goes")

    assert (log.status, log.sent_to_tokens) == ("sent", 2)
    rows = dict(PushDelivery.objects.values_list("token", "push_token_id"))
    assert rows == {phone.token: phone.pk, tablet.token: None}
    assert deliver_due().total == 0
    assert len(expo.delivered) == 2
