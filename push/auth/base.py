"""What an authenticator is: the contract of the callables in PUSH_NOTIFICATIONS["AUTHENTICATION"].

An authenticator is a callable `authenticator(request) -> user | None`, tried in the
setting's order:

- it returns a user: the request is that user's, nobody else is asked;
- it returns None: these are not its credentials, the next authenticator tries;
- it raises `AuthenticationFailed`: credentials were given and are not good; the API
  answers 401 and asks nobody else.

CSRF. A browser attaches its cookies to every request, one made by a page of another site
included; a header such as `Authorization` is sent only by code that holds the credential.
So only the users of a cookie-based authenticator must pass Django's CSRF check, and an
authenticator is header-based unless it is decorated with `@uses_cookies` (the session
authenticator is). This mirrors Django REST framework, whose authentication classes
enforce CSRF only when they choose to (SessionAuthentication does). A cookie-based
authenticator that checks CSRF its own way returns `Authenticated(user, csrf_failure)`.

A request that carries an `Authorization` header is never given to a cookie-based
authenticator: if no header-based one accepts it, the answer is 401, never the session.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.http import HttpRequest

Authenticator = Callable[[HttpRequest], Any]
Challenge = str | Callable[[HttpRequest], str | None]
# OpenAPI security schemes by name, or a function returning them (read when asked).
SecuritySchemes = dict[str, dict[str, Any]] | Callable[[], dict[str, dict[str, Any]]]
A = TypeVar("A", bound=Callable[..., Any])

_USES_COOKIES = "push_uses_cookies"
_CHALLENGE = "push_www_authenticate"
_SECURITY_SCHEMES = "push_security_schemes"


class AuthenticationFailed(Exception):
    """Credentials were given and are not good: the API answers 401.

    `reason` is for the log (never put the credential in it); `challenge` is the 401's
    `WWW-Authenticate` header (None: the configured authenticators' first challenge).
    """

    def __init__(self, reason: str, *, challenge: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.challenge = challenge


@dataclass(frozen=True)
class Authenticated:
    """An authenticator's answer when its cookie-based scheme checks CSRF its own way.

    `csrf_failure()` is run at the API's CSRF step (after the method, 401 and per-user
    limit checks) and returns why the request fails CSRF, or None when it passes.
    """

    user: Any
    csrf_failure: Callable[[], str | None] | None = None


def uses_cookies(authenticator: A) -> A:
    """Mark an authenticator as cookie-based: its users must pass Django's CSRF check."""
    setattr(authenticator, _USES_COOKIES, True)
    return authenticator


def is_cookie_based(authenticator: Authenticator) -> bool:
    """Whether `authenticator` reads credentials a browser sends by itself (a cookie)."""
    return getattr(authenticator, _USES_COOKIES, False) is True


def www_authenticate(challenge: Challenge) -> Callable[[A], A]:
    """Name the `WWW-Authenticate` challenge of a 401 that no authenticator accepted.

    `challenge` is a string (`"Bearer"`) or a function of the request returning one or None.
    """

    def decorator(authenticator: A) -> A:
        setattr(authenticator, _CHALLENGE, challenge)
        return authenticator

    return decorator


def challenge_of(authenticator: Authenticator, request: HttpRequest) -> str | None:
    """Return the challenge an authenticator declared with `@www_authenticate`, if any."""
    challenge = getattr(authenticator, _CHALLENGE, None)
    if callable(challenge):
        return challenge(request)
    return challenge


def has_authorization_header(request: HttpRequest) -> bool:
    """Whether the request carries an `Authorization` header (even an empty one)."""
    return "HTTP_AUTHORIZATION" in request.META


# simplejwt's access tokens as OpenAPI names them: push.auth.simplejwt_bearer reads them,
# and so does DRF's JWTAuthentication (kept here, where neither PyJWT nor DRF is needed).
JWT_BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token in djangorestframework-simplejwt's format.",
}


def openapi_security(schemes: SecuritySchemes) -> Callable[[A], A]:
    """Name the OpenAPI security schemes whose credentials an authenticator reads.

    `schemes` maps a name to an OpenAPI Security Scheme Object (`{"type": "apiKey", "in":
    "header", "name": "X-Api-Key"}`), or is a function returning such a map. The API's
    document (GET <prefix>/openapi/) lists the schemes of the configured authenticators.
    """

    def decorator(authenticator: A) -> A:
        setattr(authenticator, _SECURITY_SCHEMES, schemes)
        return authenticator

    return decorator


def security_schemes_of(authenticator: Authenticator) -> dict[str, dict[str, Any]]:
    """Return the schemes an authenticator declared with `@openapi_security` (maybe none)."""
    schemes = getattr(authenticator, _SECURITY_SCHEMES, None) or {}
    return dict(schemes() if callable(schemes) else schemes)
