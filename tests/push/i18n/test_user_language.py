"""A language per user: chosen in the preferences API, or the phone's at registration."""

import pytest

from push.models import NotificationPreference
from tests.support.api import PREFERENCES, REGISTER, VALID_TOKEN
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

HOST_FUNCTION = "tests.support.languages.from_last_name"


def register(api, accept_language=None, token=VALID_TOKEN):
    headers = {} if accept_language is None else {"Accept-Language": accept_language}
    response = api.post(
        REGISTER, {"token": token}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content
    return response


def language(api):
    return api.get(PREFERENCES).json()["language"]


def test_the_sites_language_until_one_is_known(api):
    assert language(api) == "en"


@pytest.mark.parametrize("method", ["patch", "post"])
def test_the_user_chooses_one(api, user, method):
    response = getattr(api, method)(PREFERENCES, {"language": "de"}, "application/json")
    assert response.status_code == 200
    assert response.json()["language"] == "de"
    assert language(api) == "de"
    assert NotificationPreference.objects.get(user=user).language == "de"


@pytest.mark.parametrize("value", ["fr", "de-at", "", None, 1, ["de"], "de\x00", "e" * 100])
def test_only_the_sites_languages_can_be_chosen(api, user, value):
    response = api.patch(PREFERENCES, {"language": value}, "application/json")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "language must be one of: en, de, es",
    }
    assert language(api) == "en"


def test_a_phone_in_german_makes_a_new_user_german(api, user):
    register(api, "de-DE,de;q=0.9,en;q=0.8")
    assert language(api) == "de"


def test_the_phone_never_overrides_what_the_user_chose(api, user):
    api.patch(PREFERENCES, {"language": "es"}, "application/json")
    register(api, "de-DE")
    assert language(api) == "es"


def test_only_the_first_phone_language_is_adopted(api, user):
    register(api, "de-DE")
    register(api, "es-ES", token="ExponentPushToken[second-phone-xxxxxxx]")
    assert language(api) == "de"


@pytest.mark.parametrize("header", ["fr-FR", "*", "", "q=0.5;;"])
def test_a_phone_language_the_site_does_not_offer_changes_nothing(api, user, header):
    register(api, header)
    assert language(api) == "en"
    assert not NotificationPreference.objects.filter(user=user).exclude(language="").exists()


def test_a_user_with_preferences_but_no_language_adopts_the_phones(api, user):
    api.patch(PREFERENCES, {"preferences": {"review": False}}, "application/json")
    register(api, "es")
    assert api.get(PREFERENCES).json()["preferences"]["review"] is False
    assert language(api) == "es"


def test_a_project_that_keeps_languages_itself(api, user, settings):
    push_settings_update(settings, USER_LANGUAGE=HOST_FUNCTION)
    user.last_name = "es"
    user.save()
    assert language(api) == "es"
    response = api.patch(PREFERENCES, {"language": "de"}, "application/json")
    assert response.status_code == 400
    assert "cannot be changed here" in response.json()["message"]
    register(api, "de-DE")
    assert language(api) == "es"
    assert not NotificationPreference.objects.filter(user=user).exclude(language="").exists()
