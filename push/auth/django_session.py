"""`push.auth.session`: the user of Django's session (a cookie, so CSRF is enforced)."""

from typing import Any

from django.contrib.auth import get_user
from django.http import HttpRequest

from push.auth.base import uses_cookies


@uses_cookies
def session(request: HttpRequest) -> Any | None:
    """Return the session's user, or None for no session or an anonymous one.

    `request.user` when AuthenticationMiddleware set it; otherwise the session is read
    here, so the middleware is not needed (SessionMiddleware is: no session, no user).
    """
    user = getattr(request, "user", None)
    if user is None:
        if not hasattr(request, "session"):
            return None
        user = get_user(request)
    return user if user.is_authenticated else None
