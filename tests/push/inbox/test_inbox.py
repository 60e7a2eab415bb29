"""push.inbox: what the inbox holds, keyset pages, unread counts, marking read, badges."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import push
from push import inbox
from push.models import NotificationLog, NotificationStatus, PushToken
from tests.support.inbox import T0, newest_first, notes
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db


def walk(user, limit, **filters):
    """Return every page of the user's inbox as lists of ids, following next_cursor."""
    pages, cursor = [], None
    while True:
        page = inbox.list_notifications(user, limit=limit, cursor=cursor, **filters)
        pages.append([n.pk for n in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


# What the inbox holds.


def test_the_inbox_holds_sent_held_skipped_and_failed_but_not_refused_content(
    user, other_user, expo, committed
):
    PushToken.objects.create(user=user, token="ExponentPushToken[inbox-device-0001]")
    with committed():
        sent = push.send(user, "Sent", "b")
    held = NotificationLog.objects.create(
        user=user,
        title="Held by quiet hours",
        body="b",
        status=NotificationStatus.PENDING,
        next_attempt_at=timezone.now() + timedelta(hours=6),
    )
    with committed():
        PushToken.objects.all().delete()
        skipped = push.send(user, "No device", "b")
    failed = NotificationLog.objects.create(
        user=user, title="Expo was down", body="b", status="failed", error_message="TIMEOUT"
    )
    with committed():
        too_large = push.send(user, "Huge", "x" * 5000)
    silent = NotificationLog.objects.create(user=user, title="", body="", in_inbox=False)
    push.send(other_user, "Not alice's", "b")
    assert skipped.status == "skipped"
    assert too_large.status == "failed"
    assert too_large.error_message.startswith("PayloadTooLarge")
    assert too_large.in_inbox is False
    listed = {n.pk for n in inbox.list_notifications(user).items}
    assert listed == {sent.pk, held.pk, skipped.pk, failed.pk}
    assert too_large.pk not in listed and silent.pk not in listed
    assert inbox.unread_count(user) == 4


def test_an_item_carries_what_the_app_shows(user):
    push.send(user, "Order Update", "Shipped", data={"type": "order", "orderId": "7"}, type="order")
    (item,) = inbox.list_notifications(user).items
    assert (item.type, item.title, item.body, item.data, item.read_at) == (
        "order",
        "Order Update",
        "Shipped",
        {"type": "order", "orderId": "7"},
        None,
    )


# Pages.


@pytest.mark.parametrize(
    ("count", "limit", "sizes"),
    [(0, 20, [0]), (20, 20, [20]), (45, 20, [20, 20, 5]), (3, 1, [1, 1, 1])],
)
def test_pages_cover_everything_once_newest_first(user, count, limit, sizes):
    rows = notes(user, count)
    pages = walk(user, limit)
    assert [len(page) for page in pages] == sizes
    assert [pk for page in pages for pk in page] == newest_first(rows)


def test_equal_timestamps_are_paged_by_id(user):
    rows = notes(user, 25, step=timedelta(0))
    pages = walk(user, 7)
    assert [len(page) for page in pages] == [7, 7, 7, 4]
    assert [pk for page in pages for pk in page] == sorted((r.pk for r in rows), reverse=True)


def test_notifications_arriving_between_pages_neither_repeat_nor_push_items_out(user):
    rows = notes(user, 30)
    first = inbox.list_notifications(user, limit=10)
    # New notifications arrive: newer than everything, and one committed late with the
    # timestamp of the page's last item (a higher id puts it inside the page already read).
    newer = notes(user, 5, start=T0 + timedelta(days=1))
    notes(user, 1, start=first.items[-1].created_at)
    second = inbox.list_notifications(user, limit=10, cursor=first.next_cursor)
    third = inbox.list_notifications(user, limit=10, cursor=second.next_cursor)
    seen = [n.pk for page in (first, second, third) for n in page.items]
    assert seen == newest_first(rows)
    assert third.next_cursor is None
    # The newcomers are at the top of a fresh first page.
    fresh = [n.pk for n in inbox.list_notifications(user, limit=5).items]
    assert fresh == newest_first(newer)


def test_reading_between_unread_pages_skips_nothing(user):
    rows = notes(user, 30)
    first = inbox.list_notifications(user, limit=10, unread_only=True)
    inbox.mark_read(user, [n.pk for n in first.items])
    inbox.mark_read(user, [newest_first(rows)[12]])  # one on the next page, read elsewhere
    second = inbox.list_notifications(user, limit=10, unread_only=True, cursor=first.next_cursor)
    expected = [pk for pk in newest_first(rows)[10:21] if pk != newest_first(rows)[12]]
    assert [n.pk for n in second.items] == expected


def test_unread_and_type_filters(user):
    orders = notes(user, 4, type="order")
    chats = notes(user, 3, type="message", start=T0 + timedelta(hours=1))
    inbox.mark_read(user, [orders[0].pk, chats[0].pk])
    assert walk(user, 2, type="order") == [newest_first(orders)[:2], newest_first(orders)[2:]]
    unread = [pk for page in walk(user, 20, unread_only=True) for pk in page]
    assert unread == newest_first(chats[1:] + orders[1:])
    both = [n.pk for n in inbox.list_notifications(user, unread_only=True, type="message").items]
    assert both == newest_first(chats[1:])


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"limit": 0}, ValueError),
        ({"limit": 101}, ValueError),
        ({"limit": True}, ValueError),
        ({"limit": "20"}, ValueError),
        ({"type": "spam"}, ValueError),
        ({"cursor": ""}, inbox.InvalidCursor),
        ({"cursor": "not a cursor"}, inbox.InvalidCursor),
    ],
)
def test_bad_arguments_raise(user, arguments, error):
    with pytest.raises(error):
        inbox.list_notifications(user, **arguments)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "\x00",
        "x" * 65,
        "!!!!",
        "é",
        b64("1.0"),
        b64("1.-5"),
        b64("1.9223372036854775808"),  # 2**63: no database holds such an id
        b64("999999999999999999.1"),  # year 33658
        b64("-999999999999999999.1"),  # before year 1
        b64("1.2.3"),
        b64("1.2\x00"),
        b64(" 1.2"),
        b64("\u0661.\u0662"),  # Arabic-Indic digits are digits to Python, not to the cursor
    ],
)
def test_hostile_cursors_are_invalid(cursor):
    with pytest.raises(inbox.InvalidCursor):
        inbox.decode_cursor(cursor)


def test_a_cursor_round_trips():
    at = datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)
    assert inbox.decode_cursor(inbox.encode_cursor(at, 42)) == (at, 42)
    old = datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC)
    assert inbox.decode_cursor(inbox.encode_cursor(old, 1)) == (old, 1)


# Unread counts and marking read.


def test_unread_counts_of_many_users_in_one_query(user, other_user, django_user_model):
    lonely = django_user_model.objects.create(username="lonely")
    mine = notes(user, 5)
    notes(other_user, 2)
    notes(other_user, 3, in_inbox=False)
    inbox.mark_read(user, [mine[0].pk, mine[1].pk])
    with CaptureQueriesContext(connection) as queries:
        counts = inbox.unread_counts({user.pk, other_user.pk, lonely.pk})
    assert counts == {user.pk: 3, other_user.pk: 2, lonely.pk: 0}
    assert len(queries) == 1
    assert inbox.unread_counts(set()) == {}


def test_mark_read_only_touches_the_callers_unread_items(user, other_user):
    mine = notes(user, 4)
    theirs = notes(other_user, 2)
    hidden = notes(user, 1, in_inbox=False)
    assert inbox.mark_read(user, [mine[0].pk, theirs[0].pk, hidden[0].pk, 10**9]) == 1
    assert inbox.mark_read(user, [mine[0].pk, mine[1].pk, mine[1].pk]) == 1  # read once
    assert inbox.unread_count(other_user) == 2
    assert NotificationLog.objects.get(pk=hidden[0].pk).read_at is None
    assert inbox.mark_read(user, all=True) == 2
    assert inbox.mark_read(user, all=True) == 0
    assert inbox.unread_count(user) == 0
    assert inbox.unread_count(other_user) == 2


def test_mark_read_ignores_ids_no_database_holds(user):
    notes(user, 1)
    hostile = [True, False, -1, 0, 2**63, 10**40, "1", 1.0, None]
    with CaptureQueriesContext(connection) as queries:
        assert inbox.mark_read(user, hostile) == 0
    assert len(queries) == 0
    assert inbox.unread_count(user) == 1


def test_mark_read_needs_ids_or_all(user):
    with pytest.raises(ValueError):
        inbox.mark_read(user)
    with pytest.raises(ValueError):
        inbox.mark_read(user, [1], all=True)


def test_reading_leaves_updated_at_alone(user):
    """updated_at dates delivery: the hourly cap counts recent sends by it."""
    (row,) = notes(user, 1)
    before = NotificationLog.objects.get(pk=row.pk).updated_at
    inbox.mark_read(user, [row.pk])
    after = NotificationLog.objects.get(pk=row.pk)
    assert after.read_at is not None
    assert after.updated_at == before


TOKEN_IOS = "ExponentPushToken[badge-alice-ios01]"


@pytest.mark.parametrize("history", [3, 300])
def test_a_fixed_number_of_queries_whatever_the_history(user, history, django_assert_num_queries):
    rows = notes(user, history)
    with django_assert_num_queries(1):
        page = inbox.list_notifications(user, limit=20)
    with django_assert_num_queries(1):
        inbox.list_notifications(user, limit=20, cursor=page.next_cursor or None)
    with django_assert_num_queries(1):
        inbox.list_notifications(user, unread_only=True, type="system")
    with django_assert_num_queries(1):
        inbox.unread_count(user)
    # Marking: the UPDATE, then (something was marked) whether there is an iOS device to
    # update the badge of, and the badge update's INSERT (a no-op later in the same slot).
    with django_assert_num_queries(2):
        inbox.mark_read(user, [rows[0].pk])
    PushToken.objects.create(user=user, token=TOKEN_IOS, device_type="ios")
    with django_assert_num_queries(3):
        inbox.mark_read(user, [rows[1].pk])
    with django_assert_num_queries(3):
        inbox.mark_read(user, all=True)
    with django_assert_num_queries(1):
        inbox.mark_read(user, all=True)  # nothing left to mark: no badge update


# Badges: the unread count, in the payloads Expo receives.

TOKEN_A = "ExponentPushToken[badge-alice-00001]"
TOKEN_B = "ExponentPushToken[badge-bob-000001]"


def badges_by_token(expo):
    return {message["to"]: message["badge"] for message in expo.delivered}


def test_every_push_carries_the_unread_count_itself_included(user, expo, committed):
    PushToken.objects.create(user=user, token=TOKEN_A)
    notes(user, 3)
    with committed():
        push.send(user, "Hi", "There")
    assert badges_by_token(expo) == {TOKEN_A: 4}
    inbox.mark_read(user, all=True)
    expo.reset()
    with committed():
        push.send(user, "Hi", "Again")
    assert badges_by_token(expo) == {TOKEN_A: 1}
    expo.reset()
    with committed():
        push.send(user, "Hi", "Mine", badge=0)  # a send's own badge wins
    assert badges_by_token(expo) == {TOKEN_A: 0}


def test_refused_and_hidden_rows_are_not_counted_in_the_badge(user, expo, committed):
    PushToken.objects.create(user=user, token=TOKEN_A)
    push.send(user, "Huge", "x" * 5000)
    notes(user, 2, in_inbox=False)
    with committed():
        push.send(user, "Hi", "There")
    assert badges_by_token(expo) == {TOKEN_A: 1}


@pytest.mark.django_db(transaction=True)
def test_send_bulk_badges_each_user_with_one_count_query_per_chunk(
    user, other_user, django_user_model, expo, settings
):
    push_settings_update(settings, BATCH_SIZE=2)
    third = django_user_model.objects.create(username="carol")
    PushToken.objects.create(user=user, token=TOKEN_A)
    PushToken.objects.create(user=other_user, token=TOKEN_B)
    PushToken.objects.create(user=third, token="ExponentPushToken[badge-carol-00001]")
    notes(user, 5)
    notes(other_user, 2)
    with CaptureQueriesContext(connection) as queries:
        push.send_bulk([user, other_user, third], "Hello", "All")
    assert badges_by_token(expo) == {
        TOKEN_A: 6,
        TOKEN_B: 3,
        "ExponentPushToken[badge-carol-00001]": 1,
    }
    counts = [q for q in queries if "GROUP BY" in q["sql"] and "read_at" in q["sql"]]
    assert len(counts) == 2  # two chunks of at most 2 users


def test_a_held_notification_counts_while_it_waits(user, expo, committed):
    PushToken.objects.create(user=user, token=TOKEN_A)
    NotificationLog.objects.create(
        user=user,
        title="Held",
        body="b",
        status=NotificationStatus.PENDING,
        next_attempt_at=timezone.now() + timedelta(hours=6),
    )
    with committed():
        push.send(user, "Order", "Paid", type="payment")
    assert badges_by_token(expo) == {TOKEN_A: 2}
