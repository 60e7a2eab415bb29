"""Django's CSRF check as a function: why a request fails it, or None.

The same check as CsrfViewMiddleware's, run by the API itself after authentication and only
for cookie-based users, so it works whether or not the host installs the middleware.
"""

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def csrf_failure(request: HttpRequest) -> str | None:
    """Return why the request fails Django's CSRF check, or None if it passes."""
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})
