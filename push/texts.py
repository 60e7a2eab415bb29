"""Texts that are written in their reader's language.

A notification's title and body are plain strings, or translatable ones: Django's
`gettext_lazy`, and `format_lazy` for a text with placeholders filled per recipient:

    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _

    body = format_lazy(_("{buyer} ordered {product}"), buyer=name, product=product.name)

(`_("...") % {...}` would not do: `%` translates at once, in the language active then.)
`render(text, language)` writes one in a language; push writes each notification in its
recipient's language, once per language for a bulk send.
"""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import override

Text = str | Promise


def is_text(value: Any) -> bool:
    """Whether `value` is a plain or a translatable text."""
    return isinstance(value, str | Promise)


def is_translatable(value: Any) -> bool:
    return isinstance(value, Promise)


def render(text: Text, language: str) -> str:
    """`text` written in `language` ("" or a plain string: as it is)."""
    if not isinstance(text, Promise):
        return text
    if not language:
        return str(text)
    with override(language):
        return str(text)
