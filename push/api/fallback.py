"""The last pattern of push's URLs: whatever no endpoint matched is a JSON 404.

A path that names an endpoint but for its trailing slash gets a 404 whose message names the
right URL, for every method alike: Django's APPEND_SLASH would redirect a GET (the app
would follow it with an empty body) and turn a POST into a RuntimeError page in DEBUG.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.common import no_append_slash
from django.views.decorators.csrf import csrf_exempt

from push.api.conventions import error_response


def _names_an_endpoint(path_info: str, urlconf: str | None) -> bool:
    try:
        match = resolve(path_info, urlconf)
    except Resolver404:
        return False
    return match.func is not not_found


@csrf_exempt  # nothing to protect; a POST must get this JSON, not the CSRF failure page
@no_append_slash  # matches every path below push's prefix: no redirect to it either
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Answer a JSON 404, naming the URL with its trailing slash when that is the mistake."""
    path_info = request.path_info
    if not path_info.endswith("/") and _names_an_endpoint(
        path_info + "/", getattr(request, "urlconf", None)
    ):
        return error_response(
            f"Not found. The URL ends with a slash: {request.method} {request.path}/", 404
        )
    return error_response("Not found.", 404)
