"""Hostile input against every endpoint: never a 5xx, never a change to anyone else's data.

Bad requests get a clear JSON error (`{"success": false, "message": ...}`) with the right
status: 400 for bodies that are not a JSON object, 401, 404, 405, 413 and 415.

Each test runs with the rate limits off (they have their own tests), so every request
reaches the code under attack instead of stopping at a 429.

Bob's own push token is kept out of generated bodies on purpose: registering a token that
another account holds moves that device to the caller (a phone switched accounts, see
tests/push/api/test_tokens.py), which is the one change to another account the API makes by design.
"""

import json
from datetime import time, timedelta

import jwt
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from push.auth.access_tokens import issue_access_token
from push.models import NotificationLog, NotificationPreference, PushToken
from push.preferences import QuietHours, update_preferences
from tests.support.api import PREFERENCES, REGISTER, REMOVE, TEST, VALID_TOKEN, bearer_client
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

# The endpoints that only accept POST.
POST_ONLY = [REGISTER, REMOVE, TEST]
# Every endpoint with every method it accepts.
ROUTES = [
    ("POST", REGISTER),
    ("POST", REMOVE),
    ("POST", TEST),
    ("GET", PREFERENCES),
    ("POST", PREFERENCES),
    ("PATCH", PREFERENCES),
]
BOBS_TOKEN = "ExponentPushToken[owned-by-bob-zzzzzz]"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    push_settings_update(
        settings,
        API_RATE_LIMITS={"tokens": None, "preferences": None, "test": None, "anonymous": None},
    )
    settings.DEBUG = False


@pytest.fixture
def bob(other_user):
    """Another user with a device, switches, quiet hours and a notification on record."""
    PushToken.objects.create(user=other_user, token=BOBS_TOKEN, device_type="ios")
    update_preferences(
        other_user, {"review": False}, QuietHours(time(23), time(6), "America/New_York")
    )
    NotificationLog.objects.create(user=other_user, title="Hi", body="There", status="sent")
    return other_user


@pytest.fixture
def alice(user):
    """The attacker, staff so that the test endpoint runs all the way."""
    user.is_staff = True
    user.save()
    PushToken.objects.create(user=user, token=VALID_TOKEN)
    return user


def snapshot(owner):
    """Everything of `owner` an endpoint could change."""
    return (
        list(PushToken.objects.filter(user=owner).values_list("token", "device_type", "is_active")),
        list(
            NotificationPreference.objects.filter(user=owner).values_list(
                "disabled_types", "quiet_start", "quiet_end", "timezone"
            )
        ),
        list(NotificationLog.objects.filter(user=owner).values_list("pk", "status")),
    )


def send(client, method, path, raw=b"", content_type="application/json", **extra):
    return client.generic(method, path, raw, content_type=content_type, **extra)


def assert_clean_answer(response):
    assert response.status_code < 500, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json()["success"], bool)


def assert_error(response, status):
    """A clear JSON error: `status`, success false and a message."""
    assert response.status_code == status
    assert_clean_answer(response)
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]


# -- property-based bodies ----------------------------------------------------------------

TYPES = ["order", "message", "payment", "product", "review", "system"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(
        [*TYPES, "22:00", "07:00", "Europe/Berlin", "ios", "android", "ExponentPushToken[abc]"]
    )
    | st.just(VALID_TOKEN)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10) | st.sampled_from(TYPES), children, max_size=4)
    ),
    max_leaves=20,
)
quiet_hours = st.fixed_dictionaries(
    {"start": json_values, "end": json_values, "timezone": json_values}
) | st.fixed_dictionaries(
    {
        "start": st.sampled_from(["22:00", "00:00", "23:59", "7:00", "24:00"]),
        "end": st.sampled_from(["07:00", "22:00", "12:30"]),
        "timezone": st.sampled_from(["Europe/Berlin", "UTC", "Nowhere/City", "", "../etc"]),
    }
)
fields = st.sampled_from(
    ["token", "device_type", "preferences", "quiet_hours", "user", "user_id", "id"]
) | st.text(max_size=10)
bodies = st.one_of(
    st.dictionaries(
        fields,
        json_values
        | quiet_hours
        | st.dictionaries(st.sampled_from(TYPES) | st.text(max_size=5), json_values, max_size=6),
        max_size=4,
    ).map(lambda body: json.dumps(body, allow_nan=True)),
    json_values.map(lambda value: json.dumps(value, allow_nan=True)),
    st.text(max_size=200),
).map(lambda text: text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(("method", "path"), ROUTES)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=bodies)
def test_generated_bodies(alice, bob, method, path, raw):
    before = snapshot(bob)
    response = send(bearer_client(alice), method, path, raw)
    assert_clean_answer(response)
    assert snapshot(bob) == before


# -- size and shape -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("size", [16 * 1024 + 1, 1024 * 1024])
def test_huge_bodies_are_413(api, bob, method, path, size):
    before = snapshot(bob)
    raw = json.dumps({"preferences": {"message": False}, "pad": "x" * size}).encode()
    assert_error(send(api, method, path, raw), 413)
    assert snapshot(bob) == before


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("length", ["99999999999999999999", "-1", "12abc", " "])
def test_lying_content_length(api, method, path, length):
    response = send(api, method, path, b'{"token": 1}', CONTENT_LENGTH=length)
    assert_clean_answer(response)
    assert response.status_code in {400, 413}


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("depth", [900, 5000])
def test_deeply_nested_json(api, bob, method, path, depth):
    before = snapshot(bob)
    for raw in (
        ("[" * depth + "]" * depth).encode(),
        ('{"preferences": ' + '{"a": ' * depth + "1" + "}" * depth + "}").encode(),
        ('{"quiet_hours": ' + "[" * depth + "]" * depth + "}").encode(),
    ):
        if len(raw) > 16 * 1024:
            continue
        response = send(api, method, path, raw)
        assert_clean_answer(response)
        if depth > 1000 or (path != TEST and method != "GET"):
            # Too deep for the parser, or parsed and refused by the endpoint's rules.
            assert_error(response, 400)
    assert snapshot(bob) == before


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "raw",
    [
        b'{"token": 1e999999}',
        b'{"preferences": {"message": NaN}}',
        b'{"preferences": {"message": Infinity}}',
        b'{"token": ' + b"9" * 5000 + b"}",
        b'{"preferences": {"message": false}, "preferences": {"system": false}}',
        b"\xef\xbb\xbf{}",  # a byte order mark
        b'{"token": "\xed\xa0\x80"}',  # a UTF-8 encoded surrogate
        b"\x00\x00\x00{",
    ],
)
def test_json_edge_cases(api, bob, method, path, raw):
    before = snapshot(bob)
    response = send(api, method, path, raw)
    assert_clean_answer(response)
    assert snapshot(bob) == before


@pytest.mark.parametrize("path", POST_ONLY)
@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b'"token"', b"null", b"42", b"\xff\xfe", b'{"token": NaN', b"[" * 100_00],
)
def test_a_body_that_is_not_a_json_object_is_400(api, path, raw):
    assert_error(send(api, "POST", path, raw), 400)


# -- methods, content types, unknown paths ------------------------------------------------


@pytest.mark.parametrize("path", POST_ONLY)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_a_wrong_method_is_405(api, path, method):
    response = getattr(api, method)(path)
    assert_error(response, 405)
    assert response.headers["Allow"] == "POST"


def test_an_unknown_api_path_is_a_json_404(api):
    assert_error(api.get("/api/users/nope/"), 404)


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] != "GET"])
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "application/jsonx",
        "",
        "application/json\x00",
    ],
)
def test_wrong_content_types_are_415(api, bob, method, path, content_type):
    before = snapshot(bob)
    response = send(api, method, path, b'{"preferences": {"message": false}}', content_type)
    assert_error(response, 415)
    assert snapshot(bob) == before


def test_json_with_a_charset_or_a_json_suffix_is_accepted(api):
    body = b'{"preferences": {"message": false}}'
    assert send(api, "PATCH", PREFERENCES, body, "application/json; charset=utf-8").status_code == (
        200
    )
    assert send(api, "PATCH", PREFERENCES, body, "application/merge-patch+json").status_code == 200


# -- unicode and control characters -------------------------------------------------------

NASTY_STRINGS = [
    "\x00",
    "\x1b[31mred\x1b[0m",
    "line\nbreak\r\n",
    "\u202eevil",  # right-to-left override
    "\ufeff",
    "😀" * 50,
    "".join(chr(ord(c) + 0xFEE0) for c in "ExponentPushToken") + "[abc]",  # full-width
    "ExponentPushToken[\u0430bc]",  # Cyrillic a
    "ExponentPushToken[abc]\x00",
    "Europe/Berlin\u200b",
    "system\u200b",
    "%00%2e%2e/",
    "${jndi:ldap://127.0.0.1/x}",
    "'; DROP TABLE push_pushtoken; --",
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("nasty", NASTY_STRINGS)
def test_unicode_and_control_characters(api, bob, method, path, nasty):
    before = snapshot(bob)
    for body in (
        {"token": nasty, "device_type": nasty},
        {"preferences": {nasty: False}},
        {"quiet_hours": {"start": nasty, "end": "07:00", "timezone": nasty}},
        {nasty: nasty},
    ):
        response = send(api, method, path, json.dumps(body).encode())
        assert_clean_answer(response)
        if method != "GET" and path != TEST:
            assert response.status_code == 400
    assert snapshot(bob) == before
    assert not PushToken.objects.exclude(token__in=[BOBS_TOKEN]).exists()


# -- credentials --------------------------------------------------------------------------


def forged_tokens(user, other_user, django_settings):
    now = int(__import__("time").time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": "x", "user_id": user.pk}
    return {
        "expired": issue_access_token(user, lifetime=timedelta(seconds=-1)),
        "wrong key": jwt.encode(claims, "not-the-secret-key-" * 3, algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "refresh": jwt.encode(
            {**claims, "token_type": "refresh"}, django_settings.SECRET_KEY, algorithm="HS256"
        ),
        "no exp": jwt.encode(
            {k: v for k, v in claims.items() if k != "exp"},
            django_settings.SECRET_KEY,
            algorithm="HS256",
        ),
        "unknown user": jwt.encode(
            {**claims, "user_id": 10**9}, django_settings.SECRET_KEY, algorithm="HS256"
        ),
        "user id as object": jwt.encode(
            {**claims, "user_id": {"$ne": None}}, django_settings.SECRET_KEY, algorithm="HS256"
        ),
        "user id huge": jwt.encode(
            {**claims, "user_id": "9" * 400}, django_settings.SECRET_KEY, algorithm="HS256"
        ),
        # A valid token of bob's with alice's id spliced into the payload.
        "tampered": _splice(
            issue_access_token(other_user), {**claims, "user_id": str(user.pk)}, django_settings
        ),
        "garbage": "not.a.jwt",
        "control characters": "eyJ\x00\x1b.e30.",
        "very long": "a" * 20_000,
    }


def _splice(token, claims, django_settings):
    header, _, signature = token.split(".")
    payload = jwt.encode(claims, django_settings.SECRET_KEY, algorithm="HS256").split(".")[1]
    return f"{header}.{payload}.{signature}"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_forged_and_expired_tokens_are_401(user, bob, settings, method, path):
    before_bob, before_alice = snapshot(bob), snapshot(user)
    for name, token in forged_tokens(user, bob, settings).items():
        client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
        response = send(client, method, path, b'{"token": "ExponentPushToken[new]"}')
        assert response.status_code == 401, name
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        assert_clean_answer(response)
    for header in ["Basic YWxpY2U6cHc=", "Bearer", "Bearer ", "bearer  x y", "Token abc", "\x00"]:
        response = send(Client(HTTP_AUTHORIZATION=header), method, path, b"{}")
        assert response.status_code == 401, header
        assert_clean_answer(response)
    assert (snapshot(bob), snapshot(user)) == (before_bob, before_alice)


@pytest.mark.parametrize("path", POST_ONLY)
def test_no_credentials_is_401(client, path):
    assert_error(send(client, "POST", path, b"{}"), 401)


def test_an_inactive_users_token_is_401(user, api):
    user.is_active = False
    user.save()
    assert send(api, "GET", PREFERENCES).status_code == 401


# -- another user's data ------------------------------------------------------------------


def test_another_users_token_cannot_be_removed_or_read(api, alice, bob):
    before = snapshot(bob)
    for body in (
        {"token": BOBS_TOKEN},
        {"token": BOBS_TOKEN.replace("zzz", "ZZZ")},
    ):
        response = send(api, "POST", REMOVE, json.dumps(body).encode())
        assert response.json() == {
            "success": True,
            "message": "No such token among your devices: nothing was removed",
            "deleted": 0,
        }
    # Naming the other user is refused outright, never taken as a target.
    for body in (
        {"token": BOBS_TOKEN, "user_id": bob.pk},
        {"token": BOBS_TOKEN, "user": bob.username},
    ):
        response = send(api, "POST", REMOVE, json.dumps(body).encode())
        assert response.status_code == 400
        assert response.json()["message"].startswith("Unknown field in request body: user")
    assert snapshot(bob) == before


def test_another_users_preferences_cannot_be_read_or_changed(api, bob):
    before = snapshot(bob)
    token_id = PushToken.objects.get(token=BOBS_TOKEN).pk
    mine = {
        "success": True,
        "preferences": dict.fromkeys(TYPES, True),
        "quiet_hours": None,
        "language": "en",
    }
    for query in (f"?user_id={bob.pk}", f"?user={bob.username}", f"?id={token_id}"):
        assert send(api, "GET", PREFERENCES + query).json() == mine
    for body in (
        {"user_id": bob.pk, "preferences": {"message": False}},
        {"user": bob.pk},
        {"preferences": {"message": False}, "id": bob.push_preference.pk},
    ):
        assert send(api, "PATCH", PREFERENCES, json.dumps(body).encode()).status_code == 400
    assert send(api, "GET", PREFERENCES).json() == mine
    assert snapshot(bob) == before


def test_the_test_endpoint_only_ever_targets_the_caller(alice, bob, expo, committed):
    before = snapshot(bob)
    client = bearer_client(alice)
    with committed():
        body = json.dumps({"user_id": bob.pk, "token": BOBS_TOKEN, "to": BOBS_TOKEN})
        refused = send(client, "POST", TEST, body.encode())
        response = send(client, "POST", TEST, b"{}")
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("Unknown field in request body: to, token")
    assert response.json()["sent_to"] == 1
    assert [message["to"] for message in expo.delivered] == [VALID_TOKEN]
    assert snapshot(bob) == before


@pytest.mark.parametrize("path", [REGISTER, REMOVE, TEST, PREFERENCES])
@pytest.mark.parametrize("suffix", ["?user_id=1", "../", "%00", ";x=1", "?format=xml"])
def test_odd_paths_and_queries(api, bob, path, suffix):
    before = snapshot(bob)
    response = send(api, "POST", path + suffix, b"{}")
    assert response.status_code < 500
    assert snapshot(bob) == before
