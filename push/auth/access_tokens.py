"""Access tokens in djangorestframework-simplejwt's default format, read and written with PyJWT.

HS256, signed with SECRET_KEY, claims `token_type: "access"`, `exp`, `iat`, `jti` and
`user_id` (an integer or, in newer simplejwt releases, a string). Reading exactly what
simplejwt writes keeps an app's existing logins working. A project whose SIMPLE_JWT
settings change the key, the algorithm or the claims authenticates with simplejwt itself
(`push.auth.rest_framework` and its JWTAuthentication) instead.

PyJWT is the library's optional `jwt` extra: this module says so when it is missing.
"""

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.utils import timezone

from push.exceptions import PushConfigurationError

JWT_MISSING = (
    "push.auth.simplejwt_bearer needs PyJWT, the library's optional `jwt` extra: "
    "pip install 'django-expo-push[jwt]' (or PyJWT>=2.8)."
)

try:
    import jwt
except ImportError as exc:  # pragma: no cover - tested in a process without PyJWT
    raise PushConfigurationError(JWT_MISSING) from exc

ALGORITHM = "HS256"
USER_ID_CLAIM = "user_id"
# simplejwt's default ACCESS_TOKEN_LIFETIME.
DEFAULT_LIFETIME = timedelta(minutes=5)


class InvalidAccessToken(Exception):
    """The token is malformed, forged, expired, not an access token, or names no active user.

    Its text says why, never what the token was.
    """


def issue_access_token(user: AbstractBaseUser, lifetime: timedelta = DEFAULT_LIFETIME) -> str:
    """Return a signed access token for `user`, valid for `lifetime`."""
    now = timezone.now()
    claims = {
        "token_type": "access",
        "exp": int((now + lifetime).timestamp()),
        "iat": int(now.timestamp()),
        "jti": uuid.uuid4().hex,
        USER_ID_CLAIM: str(user.pk),
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def user_pk_from_claim(user_id: Any, pk_field: Field) -> Any:
    """Return the primary key a `user_id` claim names, as `pk_field` stores it.

    Integer, UUID and string primary keys all work: the claim may be a number or a string
    (simplejwt writes `str(user.pk)`), and the user model's own pk field converts it.
    """
    # bool is an int subclass; a JSON `true` is no user id.
    if isinstance(user_id, bool) or not isinstance(user_id, int | str):
        raise InvalidAccessToken("malformed user id")
    try:
        return pk_field.to_python(user_id)
    except (ValidationError, ValueError, TypeError, OverflowError):
        raise InvalidAccessToken("malformed user id") from None


def user_for_access_token(token: str) -> AbstractBaseUser:
    """Return the active user an access token names, or raise InvalidAccessToken."""
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],  # only HS256: never `none`, never another algorithm
            options={"require": ["exp", USER_ID_CLAIM, "token_type"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken(type(exc).__name__) from None
    if claims["token_type"] != "access":
        raise InvalidAccessToken("not an access token")
    user_model = get_user_model()
    user_pk = user_pk_from_claim(claims[USER_ID_CLAIM], user_model._meta.pk)
    try:
        user = user_model._default_manager.get(pk=user_pk)
    except (ValidationError, ValueError, TypeError, OverflowError):
        raise InvalidAccessToken("malformed user id") from None
    except user_model.DoesNotExist:
        raise InvalidAccessToken("unknown user") from None
    if not user.is_active:
        raise InvalidAccessToken("inactive user")
    return user
