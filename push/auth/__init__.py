"""Who is calling the push API: the authenticators of PUSH_NOTIFICATIONS["AUTHENTICATION"].

The setting is a list of dotted paths to callables `authenticator(request) -> user | None`
(push/auth/base.py states the contract). Shipped with the library:

- `push.auth.session`: Django's session; cookie-based, so its users must pass CSRF.
- `push.auth.simplejwt_bearer`: `Authorization: Bearer <access token>` in
  djangorestframework-simplejwt's default format (needs the `jwt` extra, PyJWT).
- `push.auth.rest_framework`: the host's Django REST framework authentication classes
  (needs djangorestframework).

They are imported on first use, so importing push.auth needs neither PyJWT nor DRF.
A host's own callable is header-based (no CSRF) unless it is decorated `@uses_cookies`;
`@openapi_security` names its scheme in the API's OpenAPI document.
"""

from importlib import import_module
from typing import Any

from push.auth.base import (
    Authenticated,
    AuthenticationFailed,
    openapi_security,
    uses_cookies,
    www_authenticate,
)

# The shipped authenticators are not in __all__: `import *` must not need PyJWT or DRF.
__all__ = [
    "Authenticated",
    "AuthenticationFailed",
    "openapi_security",
    "uses_cookies",
    "www_authenticate",
]

# The shipped authenticators, by the module that holds each (named apart from the
# authenticator, which a submodule's own name would shadow once imported).
_LAZY = {
    "session": "push.auth.django_session",
    "simplejwt_bearer": "push.auth.bearer",
    "rest_framework": "push.auth.drf",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'push.auth' has no attribute {name!r}")
