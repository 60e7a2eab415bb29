"""Kinds of notification, declared by the apps that send them.

    # coupons/notifications.py (found at start-up, like receivers)
    import push

    from django.utils.translation import ngettext_lazy

    push.register_type(
        "coupon",
        label="Coupons",
        digest=ngettext_lazy("%(count)d new coupon", "%(count)d new coupons", "count"),
    )

A type says how its notifications are treated: whether they are `urgent` (they pass quiet
hours and the hourly cap), whether the user `can_disable` them, how long they are worth
pushing (`max_age`, overridable per project with MAX_AGE_SECONDS) and how a digest counts
them. `system` is built in. The preferences API, the inbox's filter, the admin's filters,
the checks and the metrics' labels all read this registry: adding a type needs no
migration of push.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.utils.functional import Promise
from django.utils.translation import ngettext_lazy

SYSTEM = "system"
NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
DEFAULT_MAX_AGE = timedelta(hours=24)
# How a digest counts its items: a lazy ngettext taking %(count)d, in the reader's
# language and plural forms; or a pair of nouns ("new coupon", "new coupons").
Counting = Promise | tuple[str, str]
DEFAULT_DIGEST = ngettext_lazy("%(count)d notification", "%(count)d notifications", "count")


@dataclass(frozen=True)
class NotificationType:
    """How notifications of one kind are treated."""

    name: str
    label: str
    urgent: bool = False
    can_disable: bool = True
    max_age: timedelta | None = DEFAULT_MAX_AGE
    digest: Counting = DEFAULT_DIGEST


_registry: dict[str, NotificationType] = {}


def register_type(
    name: str,
    *,
    label: str | None = None,
    urgent: bool = False,
    can_disable: bool = True,
    max_age: timedelta | float | None = DEFAULT_MAX_AGE,
    digest: Counting | None = None,
) -> NotificationType:
    """Declare a kind of notification; return it. Declaring it again replaces it.

    `name` is what `push.send(..., type=name)` and the API use: lowercase letters, digits
    and underscores, at most 50 characters. `max_age` is a timedelta or seconds (None: for
    ever). `digest` is how a digest counts them: `ngettext_lazy("%(count)d new coupon",
    "%(count)d new coupons", "count")`, translated with the reader's plural forms, or a pair
    of nouns ("new coupon", "new coupons") for a project in English alone.
    """
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(
            f"A notification type's name is lowercase letters, digits and underscores "
            f"(at most 50, starting with a letter), not {name!r}."
        )
    if isinstance(max_age, bool) or not (
        max_age is None or isinstance(max_age, timedelta | int | float)
    ):
        raise TypeError(f"max_age of {name!r} must be a timedelta, seconds or None.")
    if isinstance(max_age, int | float):
        max_age = timedelta(seconds=max_age)
    if max_age is not None and max_age <= timedelta(0):
        raise ValueError(f"max_age of {name!r} must be positive (or None: for ever).")
    if digest is not None and not _counting(digest):
        raise TypeError(
            f'digest of {name!r} must be ngettext_lazy("%(count)d new coupon", '
            f'"%(count)d new coupons", "count") or a pair of nouns ("coupon", "coupons").'
        )
    kind = NotificationType(
        name=name,
        label=label or name.replace("_", " ").capitalize(),
        urgent=bool(urgent),
        can_disable=bool(can_disable),
        max_age=max_age,
        digest=digest if digest is not None else DEFAULT_DIGEST,
    )
    _registry[name] = kind
    return kind


def _text(value: object) -> bool:
    # A lazy text is taken as it is: translating it now could come before the apps are ready.
    return isinstance(value, Promise) or (isinstance(value, str) and bool(value))


def _counting(digest: object) -> bool:
    if isinstance(digest, tuple):
        return len(digest) == 2 and all(map(_text, digest))
    return isinstance(digest, Promise)


def get_type(name: str) -> NotificationType:
    """Return the registered type `name`; raise ValueError naming the registered ones."""
    try:
        return _registry[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown notification type {name!r}; registered: {', '.join(type_names())}. "
            "Declare it with push.register_type() in your app's notifications.py."
        ) from None


def types() -> list[NotificationType]:
    """Return every registered type, in the order they were registered (system first)."""
    return list(_registry.values())


def type_names() -> list[str]:
    """Return the names of the registered types, in the order they were registered."""
    return list(_registry)


def is_registered(name: object) -> bool:
    return isinstance(name, str) and name in _registry


def type_of_row(name: str) -> NotificationType:
    """The type a stored row names; one no app registers (any more) reads as a plain one,
    with the defaults' maximum age and digest."""
    return _registry.get(name, _UNREGISTERED)


def unregister_type(name: str) -> None:
    """Forget a type (tests, plugins); `system` is always there."""
    if name != SYSTEM:
        _registry.pop(name, None)


_UNREGISTERED = NotificationType(name="", label="")

register_type(SYSTEM, label="System", can_disable=False)
