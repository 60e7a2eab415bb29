"""Which language each user reads: what their notifications are written in.

A user's language is, in order: what the project's USER_LANGUAGE function says (a host
whose user model has a language field points it there), else the language the user chose
(the preferences API's `language`) or their phone's locale when they registered a device
(`Accept-Language`), else the site's LANGUAGE_CODE. Every answer is one of
settings.LANGUAGES, matched the way Django matches a request's language
(`get_supported_language_variant`: "de-AT" reads German where only "de" is offered).

Finding the languages of a chunk of recipients costs no query of its own: it rides on
the query that checks they exist (or that streams a bulk send's ids).
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from push.conf import imported, push_settings

# The user's chosen language, read through the user (a LEFT JOIN: users without a
# preference row read None).
CHOSEN = "push_preference__language"
# Longer than any phone sends: not parsed.
MAX_ACCEPT_LANGUAGE_LENGTH = 500
# Ids streamed from the database per fetch in a bulk send.
STREAM_CHUNK = 2000

UserLanguage = Callable[[Any], str | None]


def enabled() -> bool:
    """Whether texts are written per language at all (Django's USE_I18N)."""
    return bool(settings.USE_I18N)


def site_codes() -> list[str]:
    """The codes of settings.LANGUAGES, in their order."""
    return [code for code, _name in settings.LANGUAGES]


def supported(code: object) -> str | None:
    """Return the site's language for `code` ("de-at" -> "de"), or None if it has none."""
    if not isinstance(code, str) or not code or len(code) > 15:
        return None
    try:
        return get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def default() -> str:
    """The site's language: LANGUAGE_CODE as settings.LANGUAGES offers it."""
    return supported(settings.LANGUAGE_CODE) or settings.LANGUAGE_CODE


def resolve(chosen: object) -> str:
    """A user's language from what they chose (or nothing): always one the site offers."""
    if not enabled():
        return ""
    return supported(chosen) or default()


def from_accept_language(header: str | None) -> str | None:
    """The site's language for an `Accept-Language` header (a phone's locale), if any.

    Like Django's LocaleMiddleware: the header's languages in order of preference, each
    matched to settings.LANGUAGES; None when none matches or the header names none.
    """
    if not header or len(header) > MAX_ACCEPT_LANGUAGE_LENGTH:
        return None
    for code, _quality in parse_accept_lang_header(header):
        if code != "*" and (language := supported(code)):
            return language
    return None


def user_language_function() -> UserLanguage | None:
    """The project's USER_LANGUAGE function, or None when push keeps languages itself."""
    path = push_settings.USER_LANGUAGE
    return imported("USER_LANGUAGE", path) if path else None


def of_users(users: list[Any], using: str = DEFAULT_DB_ALIAS) -> dict[Any, str]:
    """The language of each of `users` (user objects), by id: one query, none with
    USER_LANGUAGE or USE_I18N off."""
    function = user_language_function()
    if function is not None:
        return {user.pk: resolve(function(user)) for user in users}
    if not enabled():
        return {user.pk: "" for user in users}
    return languages_of([user.pk for user in users], using)


def language_of(user: Any) -> str:
    """The language `user` (a user object) reads."""
    return of_users([user])[user.pk]


def languages_of(user_ids: Iterable[Any], using: str = DEFAULT_DB_ALIAS) -> dict[Any, str]:
    """Each existing user's language, by id; ids that name no user are left out.

    One query (users and their chosen languages, or the users for USER_LANGUAGE).
    """
    ids = list(dict.fromkeys(user_ids))
    return dict(_pairs(get_user_model()._default_manager.using(using).filter(pk__in=ids)))


def stream(users: QuerySet) -> Iterator[tuple[Any, str]]:
    """Yield (id, language) for every user of `users`, by id, streamed from the database."""
    return _pairs(users.order_by("pk"), chunk_size=STREAM_CHUNK)


def _pairs(users: QuerySet, chunk_size: int | None = None) -> Iterator[tuple[Any, str]]:
    """(id, language) of each of `users`, read in one query (in chunks with `chunk_size`):
    the users for USER_LANGUAGE, their ids alone with USE_I18N off, else ids and choices."""
    function = user_language_function()
    rows: QuerySet
    if function is not None:
        rows, pair = users, lambda user: (user.pk, resolve(function(user)))
    elif not enabled():
        rows, pair = users.values_list("pk", flat=True), lambda pk: (pk, "")
    else:
        rows, pair = users.values_list("pk", CHOSEN), lambda row: (row[0], resolve(row[1]))
    return map(pair, rows if chunk_size is None else rows.iterator(chunk_size=chunk_size))
