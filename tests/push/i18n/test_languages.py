"""Which language a user reads: the site's languages, the phone's, the user's choice."""

import pytest

from push import languages


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("de", "de"),
        ("de-at", "de"),
        ("DE-CH", "de"),
        ("es-419", "es"),
        ("en-gb", "en"),
        ("fr", None),
        ("pt-br", None),
        ("", None),
        (None, None),
        (7, None),
        ("x" * 16, None),
        ("de\x00", None),
    ],
)
def test_a_code_is_matched_to_the_sites_languages(code, expected):
    assert languages.supported(code) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-FR,fr;q=0.9,es;q=0.5", "es"),  # the first the site offers, in preference order
        ("en;q=0.1,es;q=0.9", "es"),
        ("es-MX", "es"),
        ("fr-FR", None),
        ("*", None),
        ("", None),
        (None, None),
        (";;;,,,q=", None),
        ("de," * 300, None),  # longer than any phone sends: not parsed
    ],
)
def test_a_phones_accept_language_header(header, expected):
    assert languages.from_accept_language(header) == expected


def test_nothing_chosen_is_the_sites_language(settings):
    assert languages.resolve(None) == "en"
    assert languages.resolve("fr") == "en"
    settings.LANGUAGE_CODE = "es-es"
    assert languages.resolve(None) == "es"


def test_without_i18n_nothing_is_translated(settings):
    settings.USE_I18N = False
    assert languages.resolve("de") == ""
