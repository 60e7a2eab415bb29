"""The JSON API conventions of the push endpoints, applied once by `json_api`.

Every answer is a JSON object with `success` and, on failure, a `message` written for the
app's developers, whatever middleware the host project has. Nothing from an exception is
echoed to the client: an unexpected one is logged with its traceback and answered 500.
Authentication (PUSH_NOTIFICATIONS["AUTHENTICATION"], push/auth/) is decided first; the
checks then run in the order a client can act on: the per-IP request limit of anonymous
callers (429), method (405), authentication (401), the per-user request limit of the
endpoint's scope (429), CSRF for users of a cookie-based authenticator (403), body size
(413), content type (415), then the body itself (400).
"""

import json
import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.signals import got_request_exception
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from push.api import throttling
from push.auth.pipeline import authenticate
from push.conf import push_settings

logger = logging.getLogger(__name__)

JsonView = Callable[[HttpRequest, dict[str, Any]], JsonResponse]


class BadRequest(Exception):
    """A client error a view reports as `{"success": false, "message": ...}`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def error_response(message: str, status: int) -> JsonResponse:
    """Return the API's error shape."""
    return JsonResponse({"success": False, "message": message}, status=status)


def _read_json_object(request: HttpRequest, limit: int) -> dict[str, Any]:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        declared_length = int(declared)
    except ValueError:
        raise BadRequest("Invalid Content-Length header.") from None
    if declared_length < 0:
        raise BadRequest("Invalid Content-Length header.")
    if declared_length > limit:
        raise BadRequest(f"Request body is larger than {limit} bytes.", status=413)
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise BadRequest(f"Request body is larger than {limit} bytes.", status=413)
    if not raw.strip():
        return {}
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise BadRequest("Content-Type must be application/json.", status=415)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object.")
    return body


def refuse_unknown(given: Iterable[str], known: Iterable[str], what: str) -> None:
    """Raise BadRequest naming what of `given` is not `known` (the API's one rule for it)."""
    known = tuple(known)
    unknown = sorted(set(given) - set(known))
    if unknown:
        use = ", ".join(known) if known else "none"
        raise BadRequest(f"Unknown {what}: {', '.join(unknown)[:200]}; use {use}")


def too_many_requests(seconds: int) -> JsonResponse:
    """Return the 429 answer, telling the client when to try again."""
    response = error_response(f"Too many requests: try again in {seconds} seconds.", 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def method_not_allowed(method: str, allowed: tuple[str, ...]) -> JsonResponse:
    """Return the 405 answer, naming the methods the URL takes."""
    response = error_response(f"Method {method} not allowed.", 405)
    response.headers["Allow"] = ", ".join(allowed)
    return response


def unauthorized(challenge: str | None) -> JsonResponse:
    """Return the 401 answer, with the authentication scheme's challenge when there is one."""
    response = error_response("Authentication credentials were not provided or are invalid.", 401)
    if challenge:
        response.headers["WWW-Authenticate"] = challenge
    return response


def internal_error(request: HttpRequest) -> JsonResponse:
    """Answer a 500 that says nothing about the exception being handled (logged by the caller).

    Django's `got_request_exception` is sent as for any unhandled exception, so error
    reporters (and the test client) see it.
    """
    got_request_exception.send(sender=None, request=request)
    return error_response("Internal server error.", 500)


def json_api(
    methods: Iterable[str],
    *,
    rate_limit: str = throttling.TOKENS,
    fields: Iterable[str] = (),
) -> Callable[[JsonView], Callable[..., JsonResponse]]:
    """Wrap `view(request, body)` with the API's auth, limit, method, CSRF and body rules.

    `rate_limit` names the scope whose per-user limit the endpoint counts against
    (PUSH_NOTIFICATIONS["API_RATE_LIMITS"]). `fields` are the body fields the endpoint
    knows: any other is a 400 naming it, as a typo would otherwise lose a change. Unknown
    query parameters are ignored, as the web ignores cache-busters.
    """
    allowed = tuple(method.upper() for method in methods)
    fields = tuple(fields)
    if rate_limit not in throttling.SCOPES:
        raise ValueError(f"Unknown rate limit scope {rate_limit!r}.")

    def decorator(view: JsonView) -> Callable[..., JsonResponse]:
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            authentication = authenticate(request)
            request.user = authentication.user
            if not request.user.is_authenticated:
                # Before the 401: guessing tokens costs the guesser its IP's budget.
                wait = throttling.retry_after(request, throttling.ANONYMOUS)
                if wait is not None:
                    return too_many_requests(wait)
            if request.method not in allowed:
                return method_not_allowed(request.method, allowed)
            if not request.user.is_authenticated:
                return unauthorized(authentication.challenge)
            wait = throttling.retry_after(request, rate_limit)
            if wait is not None:
                return too_many_requests(wait)
            if authentication.csrf_failure is not None:
                reason = authentication.csrf_failure()
                if reason is not None:
                    return error_response(f"CSRF check failed: {reason}", 403)
            try:
                body = _read_json_object(request, push_settings.MAX_REQUEST_BYTES)
                refuse_unknown(body, fields, "field in request body")
                return view(request, body, *args, **kwargs)
            except BadRequest as exc:
                return error_response(exc.message, exc.status)

        # Checked above, after authentication, and only for cookie-based users.
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            try:
                return checked(request, *args, **kwargs)
            except Exception:
                logger.exception("Internal server error: %s %s", request.method, request.path)
                return internal_error(request)

        # What the endpoint takes, for its OpenAPI description to be checked against.
        wrapper.allowed_methods = allowed  # type: ignore[attr-defined]
        wrapper.body_fields = fields  # type: ignore[attr-defined]
        return wrapper

    return decorator
