"""Every text the site and the library send has its German and Spanish translation.

The texts are found in the code the way makemessages finds them (here with Babel's
extractor, pure Python): every one is in its app's de and es catalogues, translated, not
fuzzy, with the same placeholders; no catalogue holds a text the code no longer has; and
the compiled catalogues (.mo, `manage.py compiletranslations`) say what the .po files say.
"""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
APPS = ["push", "orders", "messaging", "unitrade"]
LANGUAGES = ["de", "es"]
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
    "gettext_noop": None,
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def texts_in_code(app: str) -> set[str | tuple[str, str]]:
    """The msgids of `app`'s Python code (a plural text is its (singular, plural))."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / app, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(app: str, language: str):
    path = ROOT / app / "locale" / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as source:
        return read_po(source, abort_invalid=True)


@pytest.mark.parametrize("app", APPS)
def test_the_app_has_texts_to_translate(app):
    assert texts_in_code(app)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("app", APPS)
def test_every_text_is_translated(app, language):
    messages = {message.id: message for message in catalogue(app, language) if message.id}
    code = texts_in_code(app)
    missing = [text for text in code if text not in messages]
    assert missing == [], f"{app}/locale/{language}: not in the catalogue: {missing}"
    obsolete = [text for text in messages if text not in code]
    assert obsolete == [], f"{app}/locale/{language}: no longer in the code: {obsolete}"
    for text, message in messages.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{app}/locale/{language}: untranslated: {text!r}"
        assert not message.fuzzy, f"{app}/locale/{language}: fuzzy: {text!r}"
        singular = text[0] if isinstance(text, tuple) else text
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(singular)), (
                f"{app}/locale/{language}: placeholders of {text!r} differ in {string!r}"
            )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("app", APPS)
def test_the_compiled_catalogue_is_the_po_file(app, language):
    compiled = ROOT / app / "locale" / language / "LC_MESSAGES" / "django.mo"
    assert compiled.exists(), "run: python manage.py compiletranslations"
    with compiled.open("rb") as source:
        translations = gettext.GNUTranslations(source)
    for message in catalogue(app, language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for count, string in ((1, message.string[0]), (2, message.string[1])):
                assert translations.ngettext(*message.id, count) == string
        else:
            assert translations.gettext(message.id) == message.string, (
                f"{compiled} is older than its .po: python manage.py compiletranslations"
            )
