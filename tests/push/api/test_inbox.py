"""The inbox endpoints: shapes, ownership, pages, filters, bad parameters, limits, queries."""

from datetime import UTC, datetime

import pytest
from django.test import Client

import push
from push.models import NotificationLog, PushToken
from tests.support.api import INBOX, INBOX_READ, INBOX_UNREAD_COUNT, PREFERENCES
from tests.support.inbox import newest_first, notes
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

LIST = INBOX
READ = INBOX_READ
COUNT = INBOX_UNREAD_COUNT


def read(client, body):
    return client.post(READ, body, content_type="application/json")


def assert_400(response, *words):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is False
    for word in words:
        assert word in body["message"]
    return body["message"]


def listed(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["notifications"]]


def test_the_list_answers_the_issues_shape(api, user):
    (row,) = notes(user, 1, data={"type": "order", "orderId": "12"}, type="order")
    NotificationLog.objects.filter(pk=row.pk).update(
        created_at=datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    )
    (plain,) = notes(user, 1, start=datetime(2026, 11, 28, 9, 30, 0, 250000, tzinfo=UTC))
    response = api.get(LIST)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "notifications": [
            {
                "id": row.pk,
                "type": "order",
                "title": "n0",
                "body": "b",
                "data": {"type": "order", "orderId": "12"},
                "created_at": "2026-11-29T10:00:00Z",
                "read": False,
            },
            {
                "id": plain.pk,
                "type": "system",
                "title": "n0",
                "body": "b",
                "data": {},
                "created_at": "2026-11-28T09:30:00.250Z",
                "read": False,
            },
        ],
        "next_cursor": None,
        "unread_count": 2,
    }


def test_reading_answers_marked_and_the_new_unread_count(api, user):
    rows = notes(user, 3)
    response = read(api, {"ids": [rows[0].pk, rows[1].pk]})
    assert response.status_code == 200
    assert response.json() == {"success": True, "marked": 2, "unread_count": 1}
    assert api.get(COUNT).json() == {"success": True, "unread_count": 1}
    items = api.get(LIST).json()["notifications"]
    assert [item["read"] for item in items] == [False, True, True]
    assert read(api, {"all": True}).json() == {"success": True, "marked": 1, "unread_count": 0}


def test_other_users_notifications_are_neither_listed_nor_marked(api, other_api, user, other_user):
    mine = notes(user, 2)
    theirs = notes(other_user, 3)
    assert set(listed(api.get(LIST))) == {r.pk for r in mine}
    response = read(api, {"ids": [r.pk for r in theirs] + [mine[0].pk, 987654321]})
    assert response.json() == {"success": True, "marked": 1, "unread_count": 1}
    assert read(api, {"all": True}).json()["marked"] == 1
    assert other_api.get(COUNT).json()["unread_count"] == 3
    assert NotificationLog.objects.filter(user=other_user, read_at__isnull=False).count() == 0
    # Another user's cursor is only a position in time: it lists the caller's own rows.
    other_page = other_api.get(LIST, {"limit": 1}).json()
    assert set(listed(api.get(LIST, {"cursor": other_page["next_cursor"]}))) <= {r.pk for r in mine}


def test_following_next_cursor_with_arrivals_between_pages(api, user):
    rows = notes(user, 45)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 20, **({"cursor": cursor} if cursor else {})}
        answer = api.get(LIST, params).json()
        seen += [item["id"] for item in answer["notifications"]]
        pages += 1
        notes(user, 2, start=datetime(2027, 1, pages, tzinfo=UTC))  # newer ones keep coming
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == newest_first(rows)
    assert len(set(seen)) == 45


def test_filters(api, user):
    orders = notes(user, 3, type="order")
    chats = notes(user, 2, type="message", start=datetime(2025, 1, 1, tzinfo=UTC))
    read(api, {"ids": [orders[0].pk]})
    assert listed(api.get(LIST, {"type": "order"})) == newest_first(orders)
    assert listed(api.get(LIST, {"unread": "1"})) == newest_first(chats + orders[1:])
    assert listed(api.get(LIST, {"unread": "0"})) == newest_first(chats + orders)
    assert listed(api.get(LIST, {"unread": "1", "type": "order"})) == newest_first(orders[1:])
    assert listed(api.get(LIST, {"type": "review"})) == []
    # The unread count is the whole inbox's, whatever the filters.
    assert api.get(LIST, {"type": "review"}).json()["unread_count"] == 4


def test_limit_bounds(api, user):
    notes(user, 120)
    assert len(listed(api.get(LIST))) == 20
    assert len(listed(api.get(LIST, {"limit": "1"}))) == 1
    assert len(listed(api.get(LIST, {"limit": "100"}))) == 100


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": " 5"}, "limit"),
        ({"limit": "9" * 5000}, "limit"),
        ({"limit": "\x00"}, "limit"),
        ({"limit": "\u0665"}, "limit"),  # ARABIC-INDIC DIGIT FIVE
        ({"cursor": ""}, "cursor"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "\x00"}, "cursor"),
        ({"cursor": "A" * 10000}, "cursor"),
        ({"cursor": "OTk5OTk5OTk5OTk5OTk5OTk5Ljk5OTk5OTk5OTk5OTk5OTk5OTk5"}, "cursor"),
        ({"unread": "2"}, "unread"),
        ({"unread": "yes"}, "unread"),
        ({"unread": ""}, "unread"),
        ({"type": "spam"}, "type"),
        ({"type": ""}, "type"),
        ({"type": "order\x00"}, "type"),
        ({"type": "ORDER"}, "type"),
    ],
)
def test_bad_parameters_are_400_naming_them(api, user, params, named):
    notes(user, 2)
    message = assert_400(api.get(LIST, params), named)
    assert message.split()[0] == named
    for value in params.values():  # what was sent is never echoed
        if len(value) > 3:
            assert value not in message


def test_unknown_parameters_are_ignored(api, user):
    notes(user, 2)
    assert len(listed(api.get(LIST, {"page": "7", "_": "123"}))) == 2


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "ids"),
        ({"ids": [1], "all": True}, "ids"),
        ({"ids": "1,2"}, "ids"),
        ({"ids": {"1": True}}, "ids"),
        ({"ids": 12}, "ids"),
        ({"ids": None}, "ids"),
        ({"ids": ["12"]}, "ids"),
        ({"ids": [12.0]}, "ids"),
        ({"ids": [1.5]}, "ids"),
        ({"ids": [None]}, "ids"),
        ({"ids": [True]}, "ids"),
        ({"ids": [[1]]}, "ids"),
        ({"ids": list(range(1, 502))}, "ids"),
        ({"all": False}, "all"),
        ({"all": 1}, "all"),
        ({"all": "true"}, "all"),
        ({"all": True, "user": 2}, "ids"),
    ],
)
def test_bad_read_bodies_are_400_and_mark_nothing(api, user, body, named):
    notes(user, 3)
    assert_400(read(api, body), named)
    assert NotificationLog.objects.filter(read_at__isnull=False).count() == 0


def test_500_ids_and_an_empty_list_are_fine(api, user):
    rows = notes(user, 3)
    ids = [r.pk for r in rows] + list(range(10**6, 10**6 + 497))
    assert read(api, {"ids": ids}).json() == {"success": True, "marked": 3, "unread_count": 0}
    assert read(api, {"ids": []}).json() == {"success": True, "marked": 0, "unread_count": 0}


def test_huge_and_negative_ids_are_ignored(api, user):
    (row,) = notes(user, 1)
    hostile = [2**63, 10**30, -(2**70), 0, -1, row.pk]
    assert read(api, {"ids": hostile}).json() == {"success": True, "marked": 1, "unread_count": 0}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"ids": [1e400]}',
        b'{"ids": [NaN]}',
        b'{"ids": [' + b"9" * 5000 + b"]}",
        b'{"ids": [1, 2], "ids": "x"}',
        b"[1, 2]",
        b'{"ids": ["\\u0000"]}',
    ],
)
def test_hostile_read_bodies(api, user, raw):
    notes(user, 1)
    response = api.generic("POST", READ, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_methods_and_authentication(api, user):
    assert api.post(LIST).status_code == 405
    assert api.get(READ).status_code == 405
    assert api.post(COUNT).status_code == 405
    anonymous = Client(enforce_csrf_checks=True)
    for url in (LIST, COUNT):
        assert anonymous.get(url).status_code == 401
    assert read(anonymous, {"all": True}).status_code == 401
    forged = Client(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert forged.get(LIST).status_code == 401


def test_session_users_need_the_csrf_token_to_mark_read(user):
    notes(user, 1)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(COUNT).json()["unread_count"] == 1
    response = read(browser, {"all": True})
    assert response.status_code == 403
    assert NotificationLog.objects.get().read_at is None


def test_the_inbox_scope_limits_requests_per_user(api, other_api, user, settings):
    push_settings_update(settings, API_RATE_LIMITS={"inbox": "3/m"})
    assert api.get(LIST).status_code == 200
    assert api.get(COUNT).status_code == 200
    assert read(api, {"all": True}).status_code == 200
    response = api.get(COUNT)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert other_api.get(COUNT).status_code == 200
    # The token endpoints keep their own budget.
    assert api.get(PREFERENCES).status_code == 200


@pytest.mark.parametrize("history", [3, 400])
def test_a_fixed_number_of_queries_per_request(api, user, history, django_assert_num_queries):
    rows = notes(user, history)
    # 1 to authenticate the bearer token's user, then the page and the count.
    with django_assert_num_queries(3):
        first = api.get(LIST, {"limit": "20"}).json()
    after = {"cursor": first["next_cursor"]} if first["next_cursor"] else {}
    with django_assert_num_queries(3):
        api.get(LIST, {"unread": "1", "type": "system", **after})
    with django_assert_num_queries(2):
        api.get(COUNT)
    # Marking: the UPDATE, whether an iOS device needs a badge update, its INSERT, the count.
    PushToken.objects.create(
        user=user, token="ExponentPushToken[api-badge-ios01]", device_type="ios"
    )
    with django_assert_num_queries(5):
        read(api, {"ids": [r.pk for r in rows[:2]]})
    with django_assert_num_queries(5):
        read(api, {"all": True})
    with django_assert_num_queries(3):
        read(api, {"all": True})  # nothing marked: no badge update


def test_reading_changes_the_next_push_badge(api, user, expo, committed):
    PushToken.objects.create(user=user, token="ExponentPushToken[api-badge-00001]")
    notes(user, 4)
    read(api, {"ids": [NotificationLog.objects.filter(user=user).first().pk]})
    with committed():
        push.send(user, "Hi", "There")
    assert [message["badge"] for message in expo.delivered] == [4]


def test_timestamps_are_utc(api, user, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    notes(user, 1, start=datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    assert api.get(LIST).json()["notifications"][0]["created_at"] == "2026-11-29T10:00:00Z"
