"""Kinds of notification are declared by the apps that send them, and everything reads them."""

from datetime import timedelta

import pytest
from django.core.checks import run_checks

import push
from push.admin_display import TypeFilter
from push.checks import E012_UNKNOWN_TYPE
from push.conf import max_age_of
from push.digests import texts
from push.models import NotificationLog
from push.types import get_type, register_type, type_names, unregister_type
from tests.support.devices import register_devices
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon():
    kind = register_type("coupon", label="Coupons", digest=("new coupon", "new coupons"))
    yield kind
    unregister_type("coupon")


def test_system_is_built_in_and_the_sites_types_come_from_their_apps():
    assert type_names()[0] == "system"
    assert {"order", "payment", "product", "review", "message"} <= set(type_names())
    assert get_type("order").urgent and get_type("payment").urgent
    assert not get_type("message").urgent
    assert get_type("message").max_age == timedelta(hours=1)
    assert not get_type("system").can_disable


def test_an_unregistered_type_is_a_clear_error_at_send_time(user):
    with pytest.raises(ValueError, match=r"Unknown notification type 'coupon'.*register_type"):
        push.send(user, "10% off", "Today only", type="coupon")
    assert NotificationLog.objects.count() == 0


def test_a_registered_type_is_sent_and_read_everywhere(user, api, expo, committed, coupon):
    register_devices(user, "ExponentPushToken[types-coupon-phone]")
    with committed():
        log = push.send(user, "10% off", "Today only", type="coupon")
    assert log.status == "sent"
    assert max_age_of("coupon") == timedelta(hours=24)
    # The preferences API lists it, and it can be switched off.
    answer = api.get("/api/users/push-preferences/").json()
    assert answer["preferences"]["coupon"] is True
    answer = api.patch(
        "/api/users/push-preferences/",
        {"preferences": {"coupon": False}},
        content_type="application/json",
    ).json()
    assert answer["preferences"]["coupon"] is False
    # The inbox filters by it; the admin's filter offers it by its label.
    page = api.get("/api/users/notifications/?type=coupon").json()
    assert [item["type"] for item in page["notifications"]] == ["coupon"]
    assert ("coupon", "Coupons") in TypeFilter(None, {}, NotificationLog, None).lookup_choices
    # Digests count it with its own nouns.
    assert texts([log, log])[0] == "2 new coupons"


def test_switching_off_a_type_that_cannot_be_is_refused(api):
    answer = api.patch(
        "/api/users/push-preferences/",
        {"preferences": {"system": False}},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == "system notifications cannot be switched off"


def test_settings_that_name_an_unknown_type_fail_the_check(settings):
    push_settings_update(settings, MAX_AGE_SECONDS={"coupon": 60})
    errors = [message for message in run_checks() if message.id == E012_UNKNOWN_TYPE]
    assert len(errors) == 1 and "'coupon'" in errors[0].msg
    push_settings_update(settings, MAX_AGE_SECONDS={}, TYPE_MESSAGE_OPTIONS={"coupon": {}})
    assert [m.id for m in run_checks() if m.id.startswith("push.")] == [E012_UNKNOWN_TYPE]


def test_a_project_overrides_a_types_maximum_age(settings):
    push_settings_update(settings, MAX_AGE_SECONDS={"message": 1800, "review": None})
    assert max_age_of("message") == timedelta(minutes=30)
    assert max_age_of("review") is None
    assert max_age_of("order") == timedelta(hours=24)


@pytest.mark.parametrize(
    ("name", "options", "error"),
    [
        ("Coupon", {}, ValueError),
        ("a" * 51, {}, ValueError),
        ("coupon", {"max_age": -5}, ValueError),
        ("coupon", {"max_age": "1h"}, TypeError),
        ("coupon", {"digest": ("one",)}, TypeError),
    ],
)
def test_a_malformed_type_is_refused_when_registered(name, options, error):
    with pytest.raises(error):
        register_type(name, **options)
    assert "coupon" not in type_names()
