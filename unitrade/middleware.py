"""The API answers JSON, always: DEBUG on or off, for unknown URLs and a missing slash."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path

API_PREFIX = "/api/"
# Methods Django's APPEND_SLASH redirects (301) without losing anything.
REDIRECTED_METHODS = frozenset({"GET", "HEAD"})


class JsonApiMiddleware:
    """Put before CommonMiddleware.

    - `POST /api/users/push-tokens` (no trailing slash) is a JSON 404 naming the right URL,
      instead of APPEND_SLASH's RuntimeError (DEBUG) or a redirect that drops the body.
    - Any other non-JSON 404 under /api/ (Django's DEBUG page) becomes a JSON 404.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(API_PREFIX):
            return self.get_response(request)
        if (
            settings.APPEND_SLASH
            and request.method not in REDIRECTED_METHODS
            and not path.endswith("/")
            and not is_valid_path(path, getattr(request, "urlconf", None))
            and is_valid_path(path + "/", getattr(request, "urlconf", None))
        ):
            right = request.path + "/"
            return JsonResponse(
                {
                    "success": False,
                    "message": f"Not found. The URL ends with a slash: {request.method} {right}",
                },
                status=404,
            )
        response = self.get_response(request)
        if response.status_code == 404 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return JsonResponse({"success": False, "message": "Not found."}, status=404)
        return response
