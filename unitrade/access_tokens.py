"""Access tokens in the format djangorestframework-simplejwt issues by default.

HS256, signed with SECRET_KEY, claims `token_type: "access"`, `exp`, `iat`, `jti` and
`user_id` (an integer or, in newer simplejwt releases, a string). Existing app logins keep
working because we read exactly what simplejwt writes.
"""

import uuid
from datetime import timedelta

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone

ALGORITHM = "HS256"
USER_ID_CLAIM = "user_id"


class InvalidAccessToken(Exception):
    """The token is malformed, forged, expired, not an access token, or names no active user."""


def issue_access_token(user: AbstractBaseUser, lifetime: timedelta | None = None) -> str:
    """Return a signed access token for `user`, valid for `lifetime` (default from settings)."""
    if lifetime is None:
        lifetime = timedelta(minutes=settings.ACCESS_TOKEN_LIFETIME_MINUTES)
    now = timezone.now()
    claims = {
        "token_type": "access",
        "exp": int((now + lifetime).timestamp()),
        "iat": int(now.timestamp()),
        "jti": uuid.uuid4().hex,
        USER_ID_CLAIM: str(user.pk),
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def user_for_access_token(token: str) -> AbstractBaseUser:
    """Return the active user an access token names, or raise InvalidAccessToken."""
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["exp", USER_ID_CLAIM, "token_type"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken(type(exc).__name__) from None
    if claims["token_type"] != "access":
        raise InvalidAccessToken("not an access token")
    user_id = claims[USER_ID_CLAIM]
    # bool is an int subclass; a JSON `true` is no user id.
    if isinstance(user_id, bool) or not isinstance(user_id, int | str):
        raise InvalidAccessToken("malformed user id")
    user_model = get_user_model()
    try:
        user_pk = user_model._meta.pk.to_python(user_id)
        user = user_model._default_manager.get(pk=user_pk)
    except (ValidationError, ValueError, TypeError, OverflowError):
        raise InvalidAccessToken("malformed user id") from None
    except user_model.DoesNotExist:
        raise InvalidAccessToken("unknown user") from None
    if not user.is_active:
        raise InvalidAccessToken("inactive user")
    return user
