"""System checks of translations: compiled catalogues, and receiver texts left untranslated.

push.W007: a language of settings.LANGUAGES for which push has translations that are not
compiled (a checkout, not the wheel): its readers would get English digests.
push.W008: in a project that set several LANGUAGES, a receiver whose title or body is a
plain string literal (or an f-string with words in it): every reader gets it as written.
Read from the receiver's source; a text held in a variable or built by a call is never
reported, so a warning always points at words that could have been wrapped in
gettext_lazy.
"""

import ast
import inspect
import textwrap
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from push.receivers import declarations

W007_UNCOMPILED_TRANSLATIONS = "push.W007"
W008_UNTRANSLATED_RECEIVER_TEXT = "push.W008"
LOCALE = Path(__file__).resolve().parent / "locale"
# The calls whose title and body reach a phone, and where those arguments are.
_SENDERS = {"Notification": 1, "send": 1, "send_bulk": 1}
_TEXTS = ("title", "body")


@register()
def check_compiled_translations(app_configs=None, **kwargs) -> list[CheckMessage]:
    if not settings.USE_I18N:
        return []
    warnings: list[CheckMessage] = []
    for code, _name in settings.LANGUAGES:
        messages = LOCALE / code / "LC_MESSAGES"
        if (messages / "django.po").exists() and not (messages / "django.mo").exists():
            warnings.append(
                Warning(
                    f"push's {code} translations are not compiled: digests and the test "
                    f"notification would reach {code} readers in English.",
                    hint="Compile them (python manage.py compilemessages), or install push "
                    "from its wheel, which carries them compiled.",
                    id=W007_UNCOMPILED_TRANSLATIONS,
                )
            )
    return warnings


@register()
def check_receiver_texts(app_configs=None, **kwargs) -> list[CheckMessage]:
    if not (settings.USE_I18N and settings.is_overridden("LANGUAGES")):
        return []
    if len(settings.LANGUAGES) < 2:
        return []
    return [
        Warning(
            f"{declaration.name}: its {argument} ({text!r}) is the same in every language.",
            hint="Wrap it in gettext_lazy(), with format_lazy() for the values it holds "
            "(push.texts), and translate it.",
            obj=declaration.builder,
            id=W008_UNTRANSLATED_RECEIVER_TEXT,
        )
        for declaration in declarations()
        for argument, text in plain_texts(declaration.builder)
    ]


def plain_texts(function: object) -> Iterator[tuple[str, str]]:
    """The (argument, text) of each title or body `function` gives as words written out."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    except (OSError, TypeError, SyntaxError):
        return  # no source to read (a builtin, a lambda in a REPL): nothing to say
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _called(node.func) not in _SENDERS:
            continue
        given = dict(zip(_TEXTS, node.args[_SENDERS[_called(node.func)] :], strict=False))
        given.update({k.arg: k.value for k in node.keywords if k.arg in _TEXTS})
        for argument, value in given.items():
            words = _written_out(value)
            if words is not None:
                yield argument, words


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _written_out(value: ast.expr) -> str | None:
    """The words of a string literal or an f-string's literal parts; None if it has none."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        literal, shown = value.value, value.value
    elif isinstance(value, ast.JoinedStr):
        parts = [part.value for part in value.values if isinstance(part, ast.Constant)]
        literal = "".join(str(part) for part in parts)
        shown = "".join(
            str(part.value) if isinstance(part, ast.Constant) else "{…}" for part in value.values
        )
    else:
        return None
    return shown if _has_letters(literal) else None


def _has_letters(text: object) -> bool:
    return isinstance(text, str) and any(character.isalpha() for character in text)
