"""The API's OpenAPI document: valid, served, true to the views, and kept in docs/.

Every answer the other tests get is checked against it too (tests/support/openapi.py);
`.ci/run` lets schemathesis loose on a live server with it.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern
from openapi_spec_validator import validate

from push.api import openapi, openapi_markdown
from push.api.urls import urlpatterns
from tests.support.api import PREFERENCES, bearer_client
from tests.support.openapi import PREFIX, check
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

OPENAPI = f"{PREFIX}/openapi/"
COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
# Endpoints that are not operations of the app's API.
NOT_OPERATIONS = {"openapi", "not_found"}


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _objects(document: dict, schema: dict) -> list[dict]:
    """The object schemas a body schema allows (one, or each of its oneOf)."""
    schema = _resolve(document, schema)
    if "oneOf" in schema:
        return [_resolve(document, alternative) for alternative in schema["oneOf"]]
    return [schema]


def test_the_document_is_valid_openapi_3_1():
    document = openapi.document(PREFIX)
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": PREFIX}]


def test_it_is_served_to_anyone_below_the_prefix(client):
    response = client.get(OPENAPI)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == openapi.document(PREFIX)


def test_it_is_read_only(client):
    response = client.post(OPENAPI, b"{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"success": False, "message": "Method POST not allowed."}


def test_every_endpoint_is_described_with_its_methods_and_fields():
    document = openapi.document(PREFIX)
    described = set()
    for pattern in urlpatterns:
        if not isinstance(pattern, URLPattern) or pattern.name in NOT_OPERATIONS:
            continue
        path = "/" + str(pattern.pattern)
        described.add(path)
        operations = document["paths"][path]
        view = pattern.callback
        assert {method.upper() for method in operations} == set(view.allowed_methods), path
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if method == "get":
                assert body is None, path
                continue
            objects = _objects(document, body["content"]["application/json"]["schema"])
            fields = {name for schema in objects for name in schema["properties"]}
            assert fields == set(view.body_fields), (method, path)
            assert all(schema["additionalProperties"] is False for schema in objects)
    assert described == set(document["paths"])


def test_each_operation_names_every_answer_it_can_give():
    document = openapi.document(PREFIX)
    for operations in document["paths"].values():
        for operation in operations.values():
            answers = set(operation["responses"])
            assert {"200", "400", "401", "405", "429", "500"} <= answers


def test_the_security_schemes_are_the_configured_authenticators(settings):
    document = openapi.document(PREFIX)
    assert list(document["components"]["securitySchemes"]) == ["bearer", "session"]
    assert document["components"]["securitySchemes"]["session"]["name"] == "sessionid"
    operation = document["paths"]["/push-tokens/"]["post"]
    assert operation["security"] == [{"bearer": []}, {"session": []}]

    settings.SESSION_COOKIE_NAME = "campus_session"
    push_settings_update(settings, AUTHENTICATION=["push.auth.session"])
    document = openapi.document(PREFIX)
    assert document["components"]["securitySchemes"] == {
        "session": {**openapi.security_schemes()["session"], "name": "campus_session"}
    }
    validate(document)


def test_an_authenticator_that_declares_no_scheme_is_not_guessed_at(settings):
    push_settings_update(settings, AUTHENTICATION=["tests.support.auth.api_key_user"])
    document = openapi.document(PREFIX)
    validate(document)
    assert document["components"]["securitySchemes"] == {}
    assert "security" not in document["paths"]["/push-tokens/"]["post"]


def test_rest_framework_classes_are_described_by_their_schemes(settings):
    push_settings_update(settings, AUTHENTICATION=["push.auth.rest_framework"])
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework_simplejwt.authentication.JWTAuthentication",
            "rest_framework.authentication.TokenAuthentication",
            "rest_framework.authentication.BasicAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ]
    }
    schemes = openapi.document(PREFIX)["components"]["securitySchemes"]
    assert list(schemes) == ["bearer", "token", "basic", "session"]
    assert schemes["token"]["description"] == "`Token <key>`"


def test_registered_types_are_in_its_enums():
    document = openapi.document(PREFIX)
    listed = document["paths"]["/notifications/"]["get"]["parameters"]
    kinds = next(p for p in listed if p["name"] == "type")["schema"]["enum"]
    assert {"order", "message", "system"} <= set(kinds)


def test_the_committed_copy_is_the_document():
    committed = json.loads(COMMITTED.read_text())
    assert committed == openapi.document(PREFIX), (
        "docs/openapi.json is out of date: python manage.py push_openapi > docs/openapi.json"
    )


def test_the_command_prints_it_for_the_mounted_prefix():
    out = StringIO()
    call_command("push_openapi", stdout=out)
    assert json.loads(out.getvalue()) == openapi.document(PREFIX)
    out = StringIO()
    call_command("push_openapi", "--server", "https://api.example.com/push/", stdout=out)
    assert json.loads(out.getvalue())["servers"] == [{"url": "https://api.example.com/push"}]


def test_the_command_says_where_push_is_missing(settings):
    settings.ROOT_URLCONF = "tests.support.urls_without_push"
    with pytest.raises(CommandError, match="not in ROOT_URLCONF"):
        call_command("push_openapi", stdout=StringIO())


def test_the_answer_check_catches_an_answer_that_breaks_the_document(user):
    client: Client = bearer_client(user)
    response = client.get(PREFERENCES)  # checked, and fine
    response.content = json.dumps({"success": True, "preferences": "all"}).encode()
    with pytest.raises(AssertionError, match="breaks the API's document"):
        check(response)
    response.content = b"{}"
    response.status_code = 418
    with pytest.raises(AssertionError, match="breaks the API's document"):
        check(response)


def test_the_committed_pages_are_the_document_rendered(tmp_path):
    call_command("push_openapi", "--markdown", str(tmp_path), stdout=StringIO())
    rendered = {page.name: page.read_text() for page in tmp_path.iterdir()}
    assert set(rendered) == {"devices.md", "preferences.md", "inbox.md"}
    for name, text in rendered.items():
        assert (COMMITTED.parent / "api" / name).read_text() == text, (
            f"docs/api/{name} is out of date: python manage.py push_openapi --markdown docs/api"
        )


def test_the_pages_show_every_operation_its_fields_and_answers():
    pages = openapi_markdown.pages(openapi.document(PREFIX))
    devices = pages["devices.md"]
    assert "## `POST /push-tokens/`" in devices
    # A pipe inside a pattern must not split the table's row.
    assert r"(?:ExponentPushToken\|ExpoPushToken)" in devices
    assert '| `device_type` | `"ios"` or `"android"` (default `"android"`) | no |' in devices
    assert (
        "| 429 | Over the request limit of the caller's scope. Headers: `Retry-After`." in devices
    )
    inbox = pages["inbox.md"]
    assert "| `limit` | integer (≥ 1, ≤ 100, default `20`) |" in inbox
    assert "Exactly one of the fields below." in inbox  # ids or all
    preferences = pages["preferences.md"]
    assert "### `QuietHours`" in preferences  # reached through Preferences
    assert "one of 599 values" in preferences or "one of" in preferences
