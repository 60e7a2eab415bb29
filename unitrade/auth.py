"""Bearer-token authentication for the mobile app's API calls.

The mobile app sends `Authorization: Bearer <access token>`. A valid token replaces the
session user and exempts the request from CSRF (no browser cookie is involved). Any other
Authorization header - another scheme, a refresh token, an expired or forged token - leaves
the request anonymous, so views answer 401 instead of silently falling back to a session.
"""

import logging
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from unitrade.access_tokens import InvalidAccessToken, user_for_access_token

logger = logging.getLogger(__name__)

BEARER = "bearer"


class BearerTokenMiddleware:
    """Authenticate `Authorization: Bearer` requests with simplejwt-style access tokens."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization")
        if header is None:
            return self.get_response(request)
        rejection = self._authenticate(request, header)
        response = self.get_response(request)
        if response.status_code == 401:
            challenge = "Bearer"
            if rejection:
                challenge += ' error="invalid_token"'
            response.headers["WWW-Authenticate"] = challenge
        return response

    def _authenticate(self, request: HttpRequest, header: str) -> str | None:
        """Set request.user from the header; return why the header was rejected, if it was."""
        scheme, _, token = header.strip().partition(" ")
        request.user = AnonymousUser()
        if scheme.lower() != BEARER or not token.strip():
            return "unsupported authorization scheme"
        try:
            request.user = user_for_access_token(token.strip())
        except InvalidAccessToken as exc:
            # Never log the token itself: it is a credential.
            logger.info("Rejected bearer token: %s", exc)
            return str(exc)
        # The token is not a cookie a browser attaches by itself, so CSRF cannot apply.
        request._dont_enforce_csrf_checks = True
        return None
