"""Held notifications come back as one digest per user and type, against loopback Expo."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

import push
from push.conf import DEFAULTS
from push.delivery.engine import deliver_due
from push.delivery.receipts import check_receipts
from push.delivery.worker import Worker
from push.digests import join_names
from push.models import NotificationLog, PushDelivery, PushToken
from push.preferences import QuietHours, update_preferences
from tests.support.devices import register_devices
from tests.support.expo import protocol
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

PHONE = "ExponentPushToken[digest-phone-aaaaaaaa]"
TABLET = "ExponentPushToken[digest-tablet-bbbbbbb]"
NIGHT = QuietHours(time(22, 0), time(7, 0), "Europe/Berlin")
NIGHT_ENDS = datetime(2024, 6, 11, 5, 0, tzinfo=UTC)  # 07:00 in Berlin
EARLY_MORNING = NIGHT_ENDS - timedelta(minutes=40)


@pytest.fixture
def devices(user):
    return register_devices(user, PHONE, TABLET)


def chat(user, sender, thread, committed):
    with committed():
        return push.send(
            user,
            f"New message from {sender}",
            "Tap to view message",
            data={"type": "message", "threadId": thread, "senderName": sender},
            type="message",
            collapse_id=f"thread-{thread}",
        )


def review(user, text, committed):
    with committed():
        return push.send(user, "New review", text, data={"type": "review"}, type="review")


def test_join_names():
    assert join_names(["Bob"]) == "Bob"
    assert join_names(["Bob", "Ann"]) == "Bob and Ann"
    assert join_names(["Bob", "Ann", "Cy"]) == "Bob, Ann and 1 more"
    assert join_names(["Bob", "Ann", "Cy", "Di"]) == "Bob, Ann and 2 more"


def test_after_quiet_hours_one_push_per_type(user, devices, expo, committed, clock):
    update_preferences(user, {}, NIGHT)
    clock.set(EARLY_MORNING)
    chats = []
    for sender, thread in (("Bob", "1"), ("Ann", "2"), ("Bob", "1"), ("Cy", "3")):
        chats.append(chat(user, sender, thread, committed))
        clock.advance(minutes=1)
    reviews = [review(user, f"{n} stars", committed) for n in (4, 5)]
    with committed():
        push.send(user, "Order Update", "Shipped", data={"type": "order"}, type="order")
    assert [m["body"] for m in expo.delivered] == ["Shipped", "Shipped"]  # urgent: now
    expo.reset()

    clock.set(NIGHT_ENDS + timedelta(seconds=30))
    report = deliver_due()
    assert (report.total, report.successful) == (6, 6)
    # Two devices, two types: four messages in all, never one per notification.
    assert sorted((m["to"], m["data"]["type"]) for m in expo.delivered) == sorted(
        (token, kind) for token in (PHONE, TABLET) for kind in ("message", "review")
    )
    by_type = {m["data"]["type"]: m for m in expo.delivered if m["to"] == PHONE}
    messages = by_type["message"]
    assert (messages["title"], messages["body"]) == ("4 new messages", "From Cy, Bob and 1 more")
    newest = chats[-1]
    assert messages["data"] == {
        "type": "message",
        "threadId": "3",
        "senderName": "Cy",
        "count": 4,
        "notificationIds": [str(c.pk) for c in reversed(chats)],
        "notificationId": str(newest.pk),
    }
    assert "collapseId" not in messages  # not one thread's any more
    # A chat is worth an hour from its release at seven, not from when it was written.
    assert messages["ttl"] == 3600 - 30
    reviews_push = by_type["review"]
    assert (reviews_push["title"], reviews_push["body"]) == ("2 new reviews", "Latest: 5 stars")
    assert reviews_push["data"]["count"] == 2
    # Every item is sent, with the digest's tickets on its own delivery rows.
    tickets = {m["to"]: {} for m in expo.delivered}
    for row in NotificationLog.objects.filter(pk__in=[n.pk for n in chats + reviews]):
        assert (row.status, row.successful, row.sent_to_tokens) == ("sent", True, 2)
        lead = chats[-1] if row.type == "message" else reviews[-1]
        assert row.pushed_with == lead.pk
        for delivery in PushDelivery.objects.filter(notification=row):
            assert delivery.status == "accepted"
            tickets[delivery.token].setdefault(row.type, set()).add(delivery.ticket_id)
    assert all(len(ids) == 1 for by_kind in tickets.values() for ids in by_kind.values())
    # The inbox still lists every item.
    assert NotificationLog.objects.filter(user=user, in_inbox=True).count() == 7


def test_a_chat_digest_never_quotes_a_message(django_user_model, expo, committed, clock):
    from decimal import Decimal

    from messaging.models import Message, Thread
    from orders.models import Product

    seller = django_user_model.objects.create_user(username="sam", first_name="Sam")
    buyers = [
        django_user_model.objects.create_user(username=name.lower(), first_name=name)
        for name in ("Bob", "Ann")
    ]
    PushToken.objects.create(user=seller, token=PHONE)
    update_preferences(seller, {}, NIGHT)
    product = Product.objects.create(seller=seller, name="Desk lamp", price=Decimal("8"))
    clock.set(EARLY_MORNING)
    for buyer in buyers:
        thread = Thread.objects.create(product=product, buyer=buyer, seller=seller)
        with committed():
            Message.objects.create(thread=thread, sender=buyer, text="my number is 555-0100")
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    deliver_due()
    [digest] = expo.delivered
    assert (digest["title"], digest["body"]) == ("2 new messages", "From Ann and Bob")
    assert "555-0100" not in str(digest)


def test_one_released_alone_goes_out_as_itself(user, devices, expo, committed, clock):
    update_preferences(user, {}, NIGHT)
    clock.set(EARLY_MORNING)
    chat(user, "Bob", "1", committed)
    review(user, "5 stars", committed)
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    deliver_due()
    assert sorted(m["title"] for m in expo.delivered if m["to"] == PHONE) == [
        "New message from Bob",
        "New review",
    ]


def test_expired_items_are_left_out_before_the_digest_is_made(
    user, devices, expo, committed, clock
):
    update_preferences(user, {}, NIGHT)
    clock.set(NIGHT_ENDS - timedelta(minutes=90))
    stale = chat(user, "Bob", "1", committed)
    # Released 90 minutes ago (by an earlier hold), and nothing delivered it since.
    NotificationLog.objects.filter(pk=stale.pk).update(
        released_at=NIGHT_ENDS - timedelta(minutes=90)
    )
    clock.set(EARLY_MORNING)
    fresh = [chat(user, name, "2", committed) for name in ("Ann", "Cy")]
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    report = deliver_due()
    assert (report.skipped, report.successful) == (1, 2)
    stale.refresh_from_db()
    assert stale.error_message.startswith("Expired")
    [digest] = [m for m in expo.delivered if m["to"] == PHONE]
    assert digest["data"]["notificationIds"] == [str(fresh[1].pk), str(fresh[0].pk)]


def test_a_chunk_takes_all_of_a_users_released_items(
    user, devices, expo, committed, clock, settings
):
    # Claims go by primary key, BATCH_SIZE at a time: a user's items straddle chunks.
    update_preferences(user, {}, NIGHT)
    clock.set(EARLY_MORNING)
    logs = [review(user, f"{n} stars", committed) for n in range(5)]
    push_settings_update(settings, BATCH_SIZE=2)
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    total = Worker().run_once()
    assert total.successful == 5
    [digest] = [m for m in expo.delivered if m["to"] == PHONE]
    assert digest["data"]["count"] == 5
    assert sorted(digest["data"]["notificationIds"]) == sorted(str(log.pk) for log in logs)


def test_a_digest_retry_goes_only_to_the_device_that_missed_it(
    user, devices, expo, committed, clock
):
    update_preferences(user, {}, NIGHT)
    clock.set(EARLY_MORNING)
    logs = [review(user, f"{n} stars", committed) for n in range(3)]
    expo.token_errors[TABLET] = "MessageRateExceeded"
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    report = deliver_due()
    assert report.pending == 3
    assert [m["to"] for m in expo.delivered] == [PHONE]
    del expo.token_errors[TABLET]
    clock.set(NotificationLog.objects.get(pk=logs[0].pk).next_attempt_at + timedelta(seconds=1))
    report = deliver_due()
    assert report.successful == 3
    assert [m["to"] for m in expo.delivered] == [PHONE, TABLET]
    assert expo.delivered[1]["data"]["count"] == 3
    for log in logs:
        assert {d.status for d in PushDelivery.objects.filter(notification=log)} == {"accepted"}


def _held_users(count, prefix, committed):
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}-{n}") for n in range(count)
    )
    PushToken.objects.bulk_create(
        PushToken(user=u, token=f"ExponentPushToken[{prefix}-{u.pk:05d}-aaaa]") for u in users
    )
    for u in users:
        update_preferences(u, {}, NIGHT)
    with committed():
        for kind in ("review", "review", "product", "review", "product"):
            push.send_bulk(users, "Hi", "There", type=kind)
    return users


def test_releasing_costs_a_fixed_number_of_queries_per_chunk(expo, committed, clock):
    clock.set(EARLY_MORNING)
    _held_users(3, "few", committed)
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    with CaptureQueriesContext(connection) as few:
        assert deliver_due().successful == 15
    assert len(expo.delivered) == 6  # one per user and type
    clock.set(EARLY_MORNING)
    # 15, not more: SQLite splits an INSERT of more delivery rows (999 variables).
    _held_users(15, "many", committed)
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    with CaptureQueriesContext(connection) as many:
        assert deliver_due().successful == 75
    assert len(expo.delivered) == 6 + 30
    assert len(many) == len(few)


def _held(user, count: int, body: str, data: dict, first_pk: int) -> list[NotificationLog]:
    """`count` released reviews, with the largest primary keys a database holds (long ids)."""
    rows = [
        NotificationLog(
            pk=first_pk + n,
            user=user,
            type="review",
            title="New review",
            body=body,
            data=data,
            held=True,
            next_attempt_at=NIGHT_ENDS,
            released_at=NIGHT_ENDS,
            created_at=EARLY_MORNING + timedelta(seconds=n),
        )
        for n in range(count)
    ]
    return NotificationLog.objects.bulk_create(rows)


LONG_ID = 9_000_000_000_000_000_000  # 19 digits, below BigAutoField's 2**63


@pytest.mark.parametrize(
    ("body", "data"),
    [
        # Multibyte text: the quoted body gives way first, then the oldest ids.
        ("Größe passt nicht ✓ " * 80, {"type": "review", "productId": "7"}),
        # The newest item's own data nearly fills a push by itself: it gives way last.
        ("Kurz", {"type": "review", "note": "é" * 1400}),
    ],
    ids=["long-multibyte-body", "data-near-the-limit"],
)
def test_a_digest_of_a_hundred_long_items_fits_the_limit(user, devices, expo, clock, body, data):
    clock.set(NIGHT_ENDS + timedelta(seconds=1))
    held = _held(user, 100, body, data, LONG_ID)

    report = deliver_due()

    assert report.successful == 100
    [digest] = [m for m in expo.delivered if m["to"] == PHONE]
    assert (digest["title"], digest["data"]["count"]) == ("100 new reviews", 100)
    assert protocol.payload_size(digest) <= DEFAULTS["MAX_PAYLOAD_BYTES"]
    listed = digest["data"]["notificationIds"]
    newest_first = [str(row.pk) for row in reversed(held)]
    assert listed == newest_first[: len(listed)]
    if len(body) > 100:  # the quoted body gave way (at a character, not a byte)
        assert digest["body"].startswith("Latest: Größe") and digest["body"].endswith("…")
    else:  # the ids and then the item's own data gave way, never the count
        assert len(listed) < 100
    # Apple and Google take it: no MessageTooBig, every item delivered.
    receipts = check_receipts(min_age=timedelta(0))
    assert (receipts.checked, receipts.failed) == (200, 0)
