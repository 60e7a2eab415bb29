"""The campus app's own API authentication: an `X-Api-Key` header."""

from django.http import HttpRequest
from push.auth import openapi_security

from accounts.models import User


@openapi_security({"apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}})
def api_key(request: HttpRequest) -> User | None:
    """Return the user whose API key the request carries, or None to let the next one try."""
    key = request.headers.get("X-Api-Key")
    if not key:
        return None
    return User.objects.filter(api_key=key, is_active=True).first()
