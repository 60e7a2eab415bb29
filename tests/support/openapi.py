"""Every API answer the tests see is checked against the OpenAPI document (push.api.openapi).

`checking_answers()` wraps Django's test client: an answer to a request under push's prefix
must be JSON, and an answer of a documented operation must be what the document says (its
status, headers and body), whatever the test itself asserts. Requests are not checked:
many tests send hostile ones on purpose.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from django.test import Client
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from push.api import openapi
from push.types import type_names

PREFIX = "/api/users"  # where the site mounts push's URLs


class _Request(DjangoOpenAPIRequest):
    """The request as the answer's check needs it: its body was read by the view already."""

    @property
    def body(self) -> bytes:
        return b""


def contract() -> OpenAPI:
    """The document as it stands: a test may register a notification type of its own."""
    return _contract_for(tuple(type_names()))


@cache
def _contract_for(kinds: tuple[str, ...]) -> OpenAPI:
    return OpenAPI.from_dict(openapi.document(PREFIX))


def _described(error: Exception) -> str:
    """The error with the schema errors openapi-core keeps in its cause, if any."""
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None) or ([cause] if cause else [])
    return "; ".join([repr(error), *(str(detail).splitlines()[0] for detail in details)])


def check(response) -> None:
    """Raise AssertionError if `response` (to a request under PREFIX) breaks the contract."""
    request = response.wsgi_request
    where = f"{request.method} {request.get_full_path()} -> {response.status_code}"
    assert response["Content-Type"].startswith("application/json"), f"not JSON: {where}"
    errors = list(
        contract().iter_response_errors(_Request(request), DjangoOpenAPIResponse(response))
    )
    # An operation the document does not have (a fallback 404, say) is not checked further.
    relevant = [e for e in errors if type(e).__name__ not in {"PathNotFound", "OperationNotFound"}]
    assert not relevant, f"{where} breaks the API's document: {_described(relevant[0])}"


@contextmanager
def checking_answers() -> Iterator[None]:
    """Check every answer of Django's test client under PREFIX while the block runs."""
    original = Client.request

    def request(client: Client, **request):
        response = original(client, **request)
        if response.wsgi_request.path.startswith(PREFIX + "/"):
            check(response)
        return response

    Client.request = request
    try:
        yield
    finally:
        Client.request = original
