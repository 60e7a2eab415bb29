"""Who is calling: the authenticators of PUSH_NOTIFICATIONS["AUTHENTICATION"], in order.

The rules every endpoint shares (push/auth/base.py explains the contract):

- authenticators are tried in the setting's order; the first user wins;
- a request with an `Authorization` header skips the cookie-based authenticators, so a
  header nobody accepts is a 401, never a silent fall back to the session;
- users of a cookie-based authenticator must pass CSRF, checked later by the API;
- a 401 carries the rejecting authenticator's challenge, or the first one configured.

The setting is read on every request (tests and hosts may change it); each dotted path is
imported once.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from push.auth.base import (
    Authenticated,
    AuthenticationFailed,
    Authenticator,
    challenge_of,
    has_authorization_header,
    is_cookie_based,
)
from push.auth.csrf import csrf_failure
from push.conf import imported, push_settings
from push.exceptions import PushConfigurationError

SETTING = "PUSH_NOTIFICATIONS['AUTHENTICATION']"


@dataclass(frozen=True)
class Authentication:
    """The outcome: the user (AnonymousUser for nobody), their CSRF check, a 401's challenge."""

    user: Any
    csrf_failure: Callable[[], str | None] | None = None
    challenge: str | None = None


def load(path: str) -> Authenticator:
    """Import the authenticator a dotted path names (once: conf.imported caches), or raise
    PushConfigurationError."""
    authenticator = imported(SETTING, path)
    if not callable(authenticator):
        raise PushConfigurationError(f"{SETTING} names {path!r}, which is not callable.")
    return authenticator


def configured_paths() -> list[str]:
    """Return the setting's dotted paths, or raise PushConfigurationError for another shape."""
    paths = push_settings.AUTHENTICATION
    if (
        not isinstance(paths, list | tuple)
        or not paths
        or not all(isinstance(path, str) for path in paths)
    ):
        raise PushConfigurationError(
            f"{SETTING} must be a non-empty list of dotted paths, not {paths!r}."
        )
    return list(paths)


def authenticators() -> list[Authenticator]:
    """Return the configured authenticators, in order."""
    return [load(path) for path in configured_paths()]


def configuration_problems() -> list[str]:
    """Return what is wrong with the setting, one sentence a problem (for system checks)."""
    try:
        paths = configured_paths()
    except PushConfigurationError as exc:
        return [str(exc)]
    problems = []
    for path in paths:
        try:
            load(path)
        except PushConfigurationError as exc:
            problems.append(str(exc))
    return problems


def _first_challenge(request: HttpRequest, candidates: list[Authenticator]) -> str | None:
    for authenticator in candidates:
        challenge = challenge_of(authenticator, request)
        if challenge:
            return challenge
    return None


def authenticate(request: HttpRequest) -> Authentication:
    """Decide who is calling; never raises for bad credentials (they are an anonymous outcome)."""
    candidates = authenticators()
    authorization = has_authorization_header(request)
    for authenticator in candidates:
        if authorization and is_cookie_based(authenticator):
            continue
        try:
            result = authenticator(request)
        except AuthenticationFailed as exc:
            challenge = exc.challenge or _first_challenge(request, candidates)
            return Authentication(AnonymousUser(), challenge=challenge)
        if isinstance(result, Authenticated):
            return Authentication(result.user, result.csrf_failure)
        if result is None or not result.is_authenticated:
            continue
        if is_cookie_based(authenticator):
            return Authentication(result, functools.partial(csrf_failure, request))
        return Authentication(result)
    return Authentication(AnonymousUser(), challenge=_first_challenge(request, candidates))
