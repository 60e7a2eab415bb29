"""`push.auth.rest_framework`: the host's Django REST framework authentication classes.

Runs `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]` in their order on a DRF `Request`
wrapping the Django request, as a DRF view would. DRF's AuthenticationFailed and
NotAuthenticated (and any other refusal of a class) are a 401 whose `WWW-Authenticate` is
that class's `authenticate_header`.

CSRF is DRF's: a class enforces it only when it chooses to. SessionAuthentication (its
subclasses, any class with an `enforce_csrf` method) calls `enforce_csrf` while
authenticating; that call is held back and made at the API's CSRF step instead, so the
order of the API's checks stays the same for everyone, CSRF is checked once (DRF's check,
not Django's a second time) and never skipped. Like the rest of the API, a request with an
`Authorization` header never falls back to SessionAuthentication.

The body is push's to read (with its size limit, 415 and 400): the DRF request has no
parser that reads it, so `request.data` is empty for the classes, and the CSRF token comes
from the `X-CSRFToken` header.
"""

import logging
from typing import Any

from django.http import HttpRequest

from push.auth.base import (
    JWT_BEARER_SCHEME,
    Authenticated,
    AuthenticationFailed,
    has_authorization_header,
    openapi_security,
    www_authenticate,
)
from push.exceptions import PushConfigurationError

DRF_MISSING = (
    "push.auth.rest_framework needs Django REST framework, the library's optional `drf` "
    "extra: pip install 'django-expo-push[drf]' (or djangorestframework)."
)

try:
    from rest_framework import exceptions
    from rest_framework.authentication import (
        BasicAuthentication,
        SessionAuthentication,
        TokenAuthentication,
    )
    from rest_framework.parsers import BaseParser
    from rest_framework.request import Request
    from rest_framework.settings import api_settings
except ImportError as exc:  # pragma: no cover - tested in a process without DRF
    raise PushConfigurationError(DRF_MISSING) from exc

logger = logging.getLogger(__name__)

CSRF_FAILED_PREFIX = "CSRF Failed: "  # how SessionAuthentication words its refusal


class _BodyLeftToPush(BaseParser):
    """Takes every media type and reads nothing: the API reads the body itself, later."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> dict:
        return {}


def _drf_request(request: HttpRequest) -> Request:
    return Request(request, parsers=[_BodyLeftToPush()])


class _HeldCsrfCheck:
    """Stands in for an authentication class's `enforce_csrf` while it authenticates."""

    def __init__(self, enforce: Any) -> None:
        self.enforce = enforce
        self.request: Request | None = None

    def __call__(self, request: Request) -> None:
        self.request = request  # asked for: made later, by `failure`

    def failure(self) -> str | None:
        """Make the held check; return why it failed, or None."""
        try:
            self.enforce(self.request)
        except exceptions.PermissionDenied as exc:
            return str(exc.detail).removeprefix(CSRF_FAILED_PREFIX)
        return None


def _authenticators() -> list[Any]:
    return [
        authentication_class()
        for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES
    ]


def _challenge(request: HttpRequest) -> str | None:
    """The first `authenticate_header` of the DRF classes, for a 401 nobody accepted."""
    drf_request = _drf_request(request)
    for authenticator in _authenticators():
        header = authenticator.authenticate_header(drf_request)
        if header:
            return header
    return None


def _security_schemes() -> dict[str, dict[str, Any]]:
    """The DRF classes' schemes as OpenAPI names them, for the ones whose scheme is known."""
    from push.auth.django_session import cookie_scheme

    schemes: dict[str, dict[str, Any]] = {}
    for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authentication_class, SessionAuthentication):
            schemes.update(cookie_scheme())
        elif issubclass(authentication_class, BasicAuthentication):
            schemes["basic"] = {"type": "http", "scheme": "basic"}
        elif issubclass(authentication_class, TokenAuthentication):
            schemes["token"] = {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": f"`{authentication_class.keyword} <key>`",
            }
        elif authentication_class.__module__.startswith("rest_framework_simplejwt"):
            schemes["bearer"] = JWT_BEARER_SCHEME
    return schemes


@openapi_security(_security_schemes)
@www_authenticate(_challenge)
def rest_framework(request: HttpRequest) -> Authenticated | None:
    """Return the user the first accepting DRF class names (with its CSRF check), or None."""
    drf_request = _drf_request(request)
    authorization = has_authorization_header(request)
    for authenticator in _authenticators():
        if authorization and isinstance(authenticator, SessionAuthentication):
            continue
        held = None
        if callable(getattr(authenticator, "enforce_csrf", None)):
            held = _HeldCsrfCheck(authenticator.enforce_csrf)
            authenticator.enforce_csrf = held  # this instance only, made for this request
        try:
            result = authenticator.authenticate(drf_request)
        except exceptions.APIException as exc:
            # The class and the exception's type only: DRF's details may quote credentials.
            logger.info(
                "%s refused the credentials: %s",
                type(authenticator).__name__,
                type(exc).__name__,
            )
            raise AuthenticationFailed(
                f"{type(authenticator).__name__}: {type(exc).__name__}",
                challenge=authenticator.authenticate_header(drf_request),
            ) from None
        if result is None:
            continue
        checks_csrf = held is not None and held.request is not None
        return Authenticated(result[0], held.failure if checks_csrf else None)
    return None
