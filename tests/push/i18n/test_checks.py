"""The translation checks: receivers whose words every reader gets as written (push.W008),
push's catalogues left uncompiled (push.W007)."""

import shutil
from pathlib import Path

from django.core import checks
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from push import Notification, on_created, translation_checks
from push.translation_checks import W007_UNCOMPILED_TRANSLATIONS, W008_UNTRANSLATED_RECEIVER_TEXT


def untranslated():
    return [m for m in checks.run_checks() if m.id == W008_UNTRANSLATED_RECEIVER_TEXT]


def test_the_sites_own_receivers_are_all_translated():
    assert untranslated() == []


def test_words_written_out_in_a_receiver_are_reported(scratch_declarations):
    @on_created("orders.Product")
    def listed(product):  # pragma: no cover - never called
        return Notification(
            to=product.seller_id,
            title="New listing",
            body=f"{product.name} is on sale",
        )

    found = untranslated()
    assert [(m.msg, m.obj) for m in found] == [
        (
            f"{translation_checks.declarations()[-1].name}: its title ('New listing') is the "
            "same in every language.",
            listed,
        ),
        (
            f"{translation_checks.declarations()[-1].name}: its body ('{{…}} is on sale') is "
            "the same in every language.",
            listed,
        ),
    ]
    assert "gettext_lazy()" in found[0].hint


def test_translated_texts_values_and_bare_placeholders_are_not_reported(scratch_declarations):
    @on_created("orders.Product")
    def listed(product):  # pragma: no cover - never called
        title = "chosen elsewhere"
        return Notification(
            product.seller_id,
            _("New listing"),
            format_lazy(_("{name} is on sale"), name=product.name),
            data={"note": "words in data are not shown"},
        ) or Notification(product.seller_id, title, f"{product.name} · {product.price}")

    assert untranslated() == []


def test_a_project_in_one_language_is_not_told(scratch_declarations, settings):
    @on_created("orders.Product")
    def listed(product):  # pragma: no cover - never called
        return Notification(to=product.seller_id, title="New listing", body="On sale")

    settings.LANGUAGES = [("en", "English")]
    assert untranslated() == []
    settings.USE_I18N = False
    settings.LANGUAGES = [("en", "English"), ("de", "German")]
    assert untranslated() == []


def test_uncompiled_catalogues_are_reported_by_language(tmp_path, monkeypatch):
    for code in ("de", "es"):
        shutil.copytree(translation_checks.LOCALE / code, tmp_path / code)
    (tmp_path / "es" / "LC_MESSAGES" / "django.mo").unlink()
    monkeypatch.setattr(translation_checks, "LOCALE", Path(tmp_path))
    [warning] = [m for m in checks.run_checks() if m.id == W007_UNCOMPILED_TRANSLATIONS]
    assert warning.msg.startswith("push's es translations are not compiled")


def test_compiled_catalogues_are_not_reported():
    assert [m for m in checks.run_checks() if m.id == W007_UNCOMPILED_TRANSLATIONS] == []
