"""Bad input on every endpoint: a clear JSON error, never a 500, never a changed row."""

import json

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from push.models import PushToken
from tests.support.api import REGISTER, REMOVE, TEST

pytestmark = pytest.mark.django_db

ENDPOINTS = [REGISTER, REMOVE, TEST]


def assert_error(response, status):
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b'"token"', b"null", b"42", b"\xff\xfe", b'{"token": NaN', b"[" * 100_00],
)
def test_body_that_is_not_a_json_object_is_400(api, path, raw):
    response = api.post(path, raw, content_type="application/json")
    assert_error(response, 400)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_deeply_nested_json_is_400_not_500(api, path):
    raw = ("[" * 5000 + "]" * 5000).encode()
    response = api.post(path, raw, content_type="application/json")
    assert_error(response, 400)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_oversized_body_is_413(api, path):
    raw = json.dumps({"token": "x" * (16 * 1024)}).encode()
    assert_error(api.post(path, raw, content_type="application/json"), 413)


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_wrong_method_is_405(api, path, method):
    response = getattr(api, method)(path)
    assert_error(response, 405)
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_wrong_content_type_is_415(api, path):
    response = api.post(path, "token=abc", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_unauthenticated_is_401(client, path):
    assert_error(client.post(path, {}, content_type="application/json"), 401)


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/users/nope/")
    assert_error(response, 404)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
bodies = st.one_of(
    st.dictionaries(
        st.sampled_from(["token", "device_type", "extra"]) | st.text(max_size=10),
        json_values | st.just("ExponentPushToken[abc]") | st.sampled_from(["ios", "android"]),
        max_size=4,
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
).map(lambda text: text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("path", ENDPOINTS)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=bodies)
def test_generated_bodies_never_give_a_5xx(api, other_user, path, raw):
    cache.clear()  # every example gets past the rate limit to the code under test
    PushToken.objects.get_or_create(token="ExponentPushToken[owned-by-bob]", user=other_user)
    response = api.post(path, raw, content_type="application/json")
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json()["success"], bool)
    assert PushToken.objects.get(token="ExponentPushToken[owned-by-bob]").user == other_user
