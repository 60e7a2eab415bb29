"""Campus adopts push from its wheel: its own users, types, receivers and authentication.

Nothing here configures push for testing: the plugin installed with the wheel makes every
test deliver inline to `push.outbox`.
"""

import uuid

import push
import pytest
from django.core.management import call_command
from django.test import Client
from push.models import NotificationLog, PushToken

from accounts.models import User
from events.models import Event

pytestmark = pytest.mark.django_db

TOKEN = "ExponentPushToken[campus-phone-0123456789]"


@pytest.fixture
def ada() -> User:
    return User.objects.create_user("ada@campus.example", "pw-ada-12345", name="Ada")


@pytest.fixture
def app(ada) -> Client:
    """The mobile app, authenticated by the campus API key."""
    return Client(headers={"X-Api-Key": ada.api_key})


def test_push_is_installed_from_the_wheel_not_from_a_checkout():
    assert "site-packages" in push.__file__


def test_the_project_passes_its_checks():
    call_command("check")


def test_the_app_registers_its_device_with_the_projects_own_auth(app, ada):
    answer = app.post(
        "/api/push/push-tokens/", {"token": TOKEN, "device_type": "ios"}, "application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "success": True,
        "message": "Token saved successfully",
        "created": True,
    }
    assert PushToken.objects.get().user == ada


def test_anonymous_and_wrong_keys_are_refused_with_json():
    for client in (Client(), Client(headers={"X-Api-Key": "not-a-key"})):
        answer = client.post("/api/push/push-tokens/", {"token": TOKEN}, "application/json")
        assert answer.status_code == 401
        assert answer.json()["success"] is False


def test_a_save_notifies_the_organiser_by_a_uuid(push_outbox, ada):
    PushToken.objects.create(user=ada, token=TOKEN)
    event = Event.objects.create(organiser=ada, title="Hackathon")
    assert [(m.token, m.payload["title"]) for m in push_outbox] == [(TOKEN, "Event planned")]
    assert push_outbox[0].payload["data"]["eventId"] == str(event.pk)
    event.status = Event.Status.CANCELLED
    event.save()
    assert [m.payload["title"] for m in push_outbox] == ["Event planned", "Event cancelled"]
    log = NotificationLog.objects.filter(type="event").latest("created_at")
    assert isinstance(log.user_id, uuid.UUID) and log.user_id == ada.pk


def test_the_inbox_answers_the_app(app, ada):
    PushToken.objects.create(user=ada, token=TOKEN)
    Event.objects.create(organiser=ada, title="Hackathon")
    page = app.get("/api/push/notifications/").json()
    assert [item["title"] for item in page["notifications"]] == ["Event planned"]
    assert page["unread_count"] == 1
    [item] = page["notifications"]
    answer = app.post("/api/push/notifications/read/", {"ids": [item["id"]]}, "application/json")
    assert answer.json() == {"success": True, "marked": 1, "unread_count": 0}
    assert app.get("/api/push/notifications/unread-count/").json()["unread_count"] == 0


def test_preferences_list_the_projects_own_type(app):
    preferences = app.get("/api/push/push-preferences/").json()["preferences"]
    assert preferences == {"system": True, "event": True}


def test_sending_by_hand_to_a_uuid_and_by_email(push_outbox, ada):
    PushToken.objects.create(user=ada, token=TOKEN)
    log = push.send(str(ada.pk), "Welcome", "Glad you are here", type="event")
    assert log.status == "sent"
    call_command("push_send", "--user", "ada@campus.example", "--title", "Hi", "--body", "There")
    assert [m.payload["title"] for m in push_outbox] == ["Welcome", "Hi"]
    with pytest.raises(ValueError, match="not a user id"):
        push.send("not-a-uuid", "Hi", "There")


def test_an_unknown_url_under_the_include_answers_json(app):
    for method in ("get", "post", "patch", "delete"):
        answer = getattr(app, method)("/api/push/no-such-thing/")
        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["success"] is False
    answer = app.post("/api/push/push-tokens", {"token": TOKEN}, "application/json")
    assert answer.status_code == 404
    assert "/api/push/push-tokens/" in answer.json()["message"]


def test_the_api_document_describes_campus():
    """Its server prefix, its X-Api-Key scheme and its own notification type."""
    document = Client().get("/api/push/openapi/").json()
    assert document["servers"] == [{"url": "/api/push"}]
    schemes = document["components"]["securitySchemes"]
    assert list(schemes) == ["apiKey", "session"]
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    security = document["paths"]["/push-tokens/"]["post"]["security"]
    assert security == [{"apiKey": []}, {"session": []}]
    listed = document["paths"]["/notifications/"]["get"]["parameters"]
    assert "event" in next(p for p in listed if p["name"] == "type")["schema"]["enum"]


def test_the_wheel_carries_pushs_translations_compiled():
    """Digests and the test notification speak German and Spanish with nothing to compile."""
    from django.utils.translation import gettext, override

    for language, words in (("de", "Von %(names)s"), ("es", "De %(names)s")):
        with override(language):
            assert gettext("From %(names)s") == words
