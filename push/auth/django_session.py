"""`push.auth.session`: the user of Django's session (a cookie, so CSRF is enforced)."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest

from push.auth.base import openapi_security, uses_cookies


def cookie_scheme() -> dict[str, dict[str, Any]]:
    """The session cookie as an OpenAPI scheme, under the project's cookie name."""
    return {
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "Django's session. Send Django's CSRF token in `X-CSRFToken` "
            "with every POST and PATCH.",
        }
    }


@openapi_security(cookie_scheme)
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
