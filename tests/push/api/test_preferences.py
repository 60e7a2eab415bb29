"""GET/POST/PATCH of the push preferences endpoint: the app's switches and quiet hours."""

import pytest

from push.models import NotificationPreference
from tests.support.api import PREFERENCES

pytestmark = pytest.mark.django_db

ALL_ON = {
    "order": True,
    "message": True,
    "payment": True,
    "product": True,
    "review": True,
    "system": True,
}
NIGHT = {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"}


def change(client, body, method="patch"):
    return getattr(client, method)(PREFERENCES, body, content_type="application/json")


def test_defaults_without_a_row(api):
    response = api.get(PREFERENCES)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "preferences": ALL_ON,
        "quiet_hours": None,
        "language": "en",
    }
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize("method", ["post", "patch"])
def test_switching_a_type_off_changes_only_that_type(api, user, method):
    response = change(api, {"preferences": {"message": False}}, method)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "preferences": {**ALL_ON, "message": False},
        "quiet_hours": None,
        "language": "en",
    }
    response = change(api, {"preferences": {"review": False}}, method)
    assert response.json()["preferences"] == {**ALL_ON, "message": False, "review": False}
    assert api.get(PREFERENCES).json()["preferences"] == {
        **ALL_ON,
        "message": False,
        "review": False,
    }
    assert NotificationPreference.objects.get(user=user).disabled_types == ["message", "review"]


def test_switching_back_on(api):
    change(api, {"preferences": {"message": False, "product": False}})
    response = change(api, {"preferences": {"message": True}})
    assert response.json()["preferences"] == {**ALL_ON, "product": False}


def test_system_may_be_confirmed_on_but_not_switched_off(api):
    assert change(api, {"preferences": {"system": True}}).status_code == 200
    response = change(api, {"preferences": {"system": False, "message": False}})
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "system notifications cannot be switched off",
    }
    # Nothing of a refused request is applied.
    assert api.get(PREFERENCES).json()["preferences"] == ALL_ON


def test_quiet_hours_set_read_and_cleared(api, user):
    response = change(api, {"quiet_hours": NIGHT})
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "preferences": ALL_ON,
        "quiet_hours": NIGHT,
        "language": "en",
    }
    assert api.get(PREFERENCES).json()["quiet_hours"] == NIGHT
    # Changing types leaves quiet hours alone, and the other way round.
    change(api, {"preferences": {"review": False}})
    assert api.get(PREFERENCES).json()["quiet_hours"] == NIGHT
    response = change(api, {"quiet_hours": None}, "post")
    assert response.json() == {
        "success": True,
        "preferences": {**ALL_ON, "review": False},
        "quiet_hours": None,
        "language": "en",
    }
    row = NotificationPreference.objects.get(user=user)
    assert (row.quiet_start, row.quiet_end, row.timezone) == (None, None, "")


def test_both_in_one_request(api):
    response = change(api, {"preferences": {"product": False}, "quiet_hours": NIGHT}, "post")
    assert response.json() == {
        "success": True,
        "preferences": {**ALL_ON, "product": False},
        "quiet_hours": NIGHT,
        "language": "en",
    }


def test_an_empty_change_answers_the_current_state(api):
    assert change(api, {}).json() == {
        "success": True,
        "preferences": ALL_ON,
        "quiet_hours": None,
        "language": "en",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"preferences": {"chat": False}}, "Unknown notification type"),
        ({"preferences": {"": False}}, "Unknown notification type"),
        ({"preferences": {"message": 0}}, "Each preference must be true or false"),
        ({"preferences": {"message": "false"}}, "Each preference must be true or false"),
        ({"preferences": {"message": None}}, "Each preference must be true or false"),
        ({"preferences": ["message"]}, "preferences must be an object"),
        ({"preferences": None}, "preferences must be an object"),
        ({"prefs": {"message": False}}, "Unknown field in request body"),
        ({"quiet_hours": "22:00-07:00"}, "quiet_hours must be null or"),
        ({"quiet_hours": {"start": "22:00", "end": "07:00"}}, "quiet_hours must be null or"),
        ({"quiet_hours": {**NIGHT, "days": [1]}}, "quiet_hours must be null or"),
        ({"quiet_hours": {**NIGHT, "start": "24:00"}}, "quiet_hours start and end must be"),
        ({"quiet_hours": {**NIGHT, "start": "7:00"}}, "quiet_hours start and end must be"),
        ({"quiet_hours": {**NIGHT, "end": "07:00:00"}}, "quiet_hours start and end must be"),
        # Arabic-Indic digits: digits to Python's \d, not to time.fromisoformat.
        ({"quiet_hours": {**NIGHT, "start": "1\u0667:00"}}, "quiet_hours start and end must be"),
        ({"quiet_hours": {**NIGHT, "end": "\u0660\u0667:00"}}, "quiet_hours start and end must be"),
        ({"quiet_hours": {**NIGHT, "end": 700}}, "quiet_hours start and end must be"),
        ({"quiet_hours": {**NIGHT, "end": "22:00"}}, "quiet_hours start and end must differ"),
        ({"quiet_hours": {**NIGHT, "timezone": "Mars/Olympus"}}, "quiet_hours timezone"),
        ({"quiet_hours": {**NIGHT, "timezone": "europe/berlin"}}, "quiet_hours timezone"),
        ({"quiet_hours": {**NIGHT, "timezone": "../../etc/passwd"}}, "quiet_hours timezone"),
        ({"quiet_hours": {**NIGHT, "timezone": "Europe/Berlin\x00"}}, "quiet_hours timezone"),
        ({"quiet_hours": {**NIGHT, "timezone": ""}}, "quiet_hours timezone"),
        ({"quiet_hours": {**NIGHT, "timezone": None}}, "quiet_hours timezone"),
        ({"quiet_hours": {**NIGHT, "timezone": "A" * 10_000}}, "quiet_hours timezone"),
    ],
)
def test_invalid_changes_are_400_and_change_nothing(api, body, message):
    response = change(api, body)
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["message"].startswith(message)
    assert not NotificationPreference.objects.exists()


def test_each_user_sees_and_changes_only_their_own(api, other_api, user, other_user):
    change(other_api, {"preferences": {"message": False}, "quiet_hours": NIGHT})
    assert api.get(PREFERENCES).json() == {
        "success": True,
        "preferences": ALL_ON,
        "quiet_hours": None,
        "language": "en",
    }
    change(api, {"preferences": {"order": False}})
    assert other_api.get(PREFERENCES).json() == {
        "success": True,
        "preferences": {**ALL_ON, "message": False},
        "quiet_hours": NIGHT,
        "language": "en",
    }


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_405(api, method):
    response = getattr(api, method)(PREFERENCES)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST, PATCH"


def test_unauthenticated_is_401(client):
    assert client.get(PREFERENCES).status_code == 401
    assert change(client, {"preferences": {"message": False}}).status_code == 401


def test_a_browser_session_must_pass_csrf(user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(PREFERENCES).status_code == 200  # reading is safe
    response = change(browser, {"preferences": {"message": False}})
    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()
