"""Authentication as a host project writes it: its own callables for PUSH_NOTIFICATIONS.

The keys are fixed strings naming a user: enough to stand for a host's API keys.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from push.auth import AuthenticationFailed, uses_cookies

API_KEY_HEADER = "X-Api-Key"
API_KEY_PREFIX = "key-"
REMEMBER_ME_COOKIE = "remember_me"


def user_for_key(key: str):
    """The active user a key `key-<username>` names, or None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    username = key.removeprefix(API_KEY_PREFIX)
    return get_user_model().objects.filter(username=username, is_active=True).first()


def api_key_user(request: HttpRequest):
    """A host's callable: `X-Api-Key: key-<username>`; a key that names nobody is a 401."""
    key = request.headers.get(API_KEY_HEADER)
    if key is None:
        return None
    user = user_for_key(key)
    if user is None:
        raise AuthenticationFailed("unknown API key")
    return user


@uses_cookies
def remember_me_cookie(request: HttpRequest):
    """A host's cookie-based callable (`remember_me=key-<username>`): its users pass CSRF."""
    key = request.COOKIES.get(REMEMBER_ME_COOKIE)
    return None if key is None else user_for_key(key)


def anonymous_user(request: HttpRequest):
    """A host's callable that answers AnonymousUser rather than None: nobody either."""
    return AnonymousUser()


def broken_authenticator(request: HttpRequest):
    """A host's callable with a bug: the API must answer a bare JSON 500."""
    raise RuntimeError("secret detail of a bug: database password hunter2")


NOT_CALLABLE = "just a string"
