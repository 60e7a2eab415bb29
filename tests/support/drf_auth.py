"""A host project's own Django REST framework authentication classes (for REST_FRAMEWORK)."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from tests.support.auth import user_for_key


class KeyAuthentication(BaseAuthentication):
    """A host's DRF class: `Authorization: Key key-<username>`."""

    keyword = "Key"

    def authenticate(self, request):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != self.keyword:
            return None
        user = user_for_key(key.strip())
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid key.")
        return (user, key)

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class CountingSessionAuthentication(SessionAuthentication):
    """DRF's SessionAuthentication, counting its CSRF checks (`checks`, reset by the test)."""

    checks = 0

    def enforce_csrf(self, request):
        type(self).checks += 1
        return super().enforce_csrf(request)


class CsrfExemptSessionAuthentication(SessionAuthentication):
    """A host that chose to exempt its session from CSRF, as DRF lets it."""

    def enforce_csrf(self, request):
        return None
