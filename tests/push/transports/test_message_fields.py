"""Expo's newer message fields (tag, richContent, _contentAvailable) and option checks."""

import pytest

import push
from push.models import NotificationLog
from tests.support.devices import register_devices

pytestmark = pytest.mark.django_db

TOKEN = "ExponentPushToken[fields-phone-aaaaaaaa]"


@pytest.fixture
def phone(user):
    [phone] = register_devices(user, TOKEN)
    return phone


def test_new_fields_arrive_at_expo(user, phone, expo, committed):
    with committed():
        push.send(
            user,
            "New photo",
            "Bob posted a photo",
            type="product",
            collapse_id="product-7",
            tag="product-7",
            rich_content={"image": "https://cdn.example.com/7.jpg"},
            content_available=True,
            interruption_level="time-sensitive",
        )
    [message] = expo.delivered
    assert message["collapseId"] == "product-7"
    assert message["tag"] == "product-7"
    assert message["richContent"] == {"image": "https://cdn.example.com/7.jpg"}
    assert message["_contentAvailable"] is True
    assert message["interruptionLevel"] == "time-sensitive"


@pytest.mark.parametrize(
    "options",
    [
        {"interruption_level": "loud"},
        {"priority": "urgent"},
        {"ttl": -1},
        {"ttl": 1.5},
        {"ttl": True},
        {"rich_content": {"image": "http://cdn.example.com/7.jpg"}},
        {"rich_content": {"image": "javascript:alert(1)"}},
        {"rich_content": {"image": "https://"}},
        {"rich_content": "https://cdn.example.com/7.jpg"},
        {"rich_content": {"image": "https://x.example", "video": "https://y.example"}},
        {"content_available": "yes"},
        {"tag": "\x00"},
        {"collapse_id": "x" * 65},
    ],
)
def test_bad_values_raise_before_anything_is_written(user, phone, expo, committed, options):
    # ValueError for a value Expo refuses, TypeError for a value of the wrong type.
    with pytest.raises((ValueError, TypeError)), committed():
        push.send(user, "Hi", "There", **options)
    with pytest.raises((ValueError, TypeError)):
        push.send_bulk([user], "Hi", "There", **options)
    assert not NotificationLog.objects.exists()
    assert expo.stats.send_requests == 0


def test_none_removes_a_field_without_a_check(user, phone, expo, committed):
    with committed():
        push.send(user, "Hi", "There", priority=None, ttl=None)
    [message] = expo.delivered
    assert "priority" not in message
