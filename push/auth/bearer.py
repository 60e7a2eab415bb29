"""`push.auth.simplejwt_bearer`: `Authorization: Bearer <access token>` (simplejwt's format).

Header-based, so its users are exempt from CSRF. Another scheme is not its business (the
next authenticator may take it); a bearer token it cannot accept is a 401 with
`WWW-Authenticate: Bearer error="invalid_token"`. Tokens are never logged.
"""

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from push.auth.access_tokens import InvalidAccessToken, user_for_access_token
from push.auth.base import (
    JWT_BEARER_SCHEME,
    AuthenticationFailed,
    openapi_security,
    www_authenticate,
)

logger = logging.getLogger(__name__)

SCHEME = "Bearer"
INVALID_TOKEN = f'{SCHEME} error="invalid_token"'


@openapi_security({"bearer": JWT_BEARER_SCHEME})
@www_authenticate(SCHEME)
def simplejwt_bearer(request: HttpRequest) -> AbstractBaseUser | None:
    """Return the user of a valid bearer access token; None for another scheme or none."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != SCHEME.lower():
        return None
    token = token.strip()
    if not token:
        raise AuthenticationFailed("empty bearer token", challenge=SCHEME)
    try:
        return user_for_access_token(token)
    except InvalidAccessToken as exc:
        # The reason only: the token is a credential.
        logger.info("Rejected bearer token: %s", exc)
        raise AuthenticationFailed(
            f"bearer token rejected: {exc}", challenge=INVALID_TOKEN
        ) from None
