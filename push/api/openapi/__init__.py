"""The HTTP API's contract: an OpenAPI 3.1 document built from the code that checks requests.

Limits, enums and patterns come from the constants the views validate with (the token
format, the device types, the registered notification types, page sizes, the ids a read
takes), so the document cannot say one thing while the code does another; the tests check
every answer they see against it, and a fuzzer (schemathesis, `.ci/run`) checks the rest.
`document(server)` returns it for a server URL; `GET <push's prefix>/openapi/` serves it.

The rules every operation shares, stated once in `info.description` below: every answer is
JSON; every path ends with a slash (without it: a 404 naming the right URL, for any
method); a method an endpoint does not take is a 405 with `Allow`; body fields an endpoint
does not know are a 400 naming them. The security schemes are those the configured
authenticators declare (`push.auth.openapi_security`).
"""

from copy import deepcopy
from typing import Any

from push.api.openapi.paths import paths
from push.api.openapi.schemas import responses, schemas
from push.auth.base import security_schemes_of
from push.auth.pipeline import authenticators
from push.types import type_names

VERSION = "1.0.0"

RULES = """\
The API of the mobile app: device tokens, notification preferences and the in-app inbox.

Rules every endpoint keeps:

- Every answer is a JSON object with `success`; a failure also has a `message` written
  for the app's developers. Nothing of an exception is ever echoed.
- Every path ends with a slash. Without it, any method gets a 404 whose message names the
  right URL (never a redirect).
- A method an endpoint does not take is a 405 with an `Allow` header.
- Unknown body fields are a 400 naming them: a typo such as `deviceType` would otherwise
  pass unnoticed and register an iPhone as an Android phone. Unknown query parameters
  are ignored (a cache-buster is harmless).
- Bodies are JSON objects (`Content-Type: application/json`), at most `MAX_REQUEST_BYTES`
  bytes (413 above, 415 for another content type).
- Authentication comes first, then the request limits: anonymous callers are counted per
  IP (`anonymous` scope), users per endpoint scope; over a limit, a 429 with `Retry-After`
  in seconds. Users of a cookie session must send Django's CSRF token (`X-CSRFToken`).
"""


def security_schemes() -> dict[str, dict[str, Any]]:
    """The OpenAPI schemes of the configured authenticators (`@openapi_security`), in order.

    An authenticator that declares none is left out of the document, not guessed at.
    """
    schemes: dict[str, dict[str, Any]] = {}
    for authenticator in authenticators():
        for name, scheme in security_schemes_of(authenticator).items():
            schemes.setdefault(name, scheme)
    return schemes


def document(server: str = "/") -> dict[str, Any]:
    """Return the OpenAPI document of push's API mounted at `server` (its URL prefix)."""
    kinds = type_names()
    schemes = security_schemes()
    components = schemas(kinds)
    for schema in components.values():
        # An answer with a field the document does not name breaks it: the tests see that.
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Push notifications API",
                "version": VERSION,
                "description": RULES,
            },
            "servers": [{"url": server.rstrip("/") or "/"}],
            "tags": [
                {"name": "Devices", "description": "Expo push tokens of the caller's devices."},
                {"name": "Preferences", "description": "What the caller wants to receive."},
                {"name": "Inbox", "description": "What the caller was told, and what is unread."},
            ],
            "paths": paths(kinds, [{name: []} for name in schemes]),
            "components": {
                "schemas": components,
                "responses": responses(),
                "securitySchemes": schemes,
            },
        }
    )
