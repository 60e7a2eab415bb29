"""The Prometheus endpoint: off unless METRICS_TOKEN is set, then for that bearer token only.

A token, not an address list: it works the same behind any proxy or load balancer, and
Prometheus sends it with its `authorization` scrape setting.
"""

import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from push.conf import push_settings
from push.metrics.exposition import exposition

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@csrf_exempt  # GET only: a POST gets the JSON 405 below, not Django's HTML CSRF page
def metrics(request: HttpRequest) -> HttpResponse:
    """Answer every push metric in Prometheus' text format."""
    expected = push_settings.METRICS_TOKEN
    if not expected:
        return JsonResponse({"success": False, "message": "Not found."}, status=404)
    if request.method != "GET":
        response = JsonResponse(
            {"success": False, "message": f"Method {request.method} not allowed."}, status=405
        )
        response.headers["Allow"] = "GET"
        return response
    # "Bearer <token>", the scheme in any case (RFC 9110); a bare token is no credential.
    scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
    given = given.strip()
    valid = scheme.lower() == "bearer" and bool(given)
    if not (valid and hmac.compare_digest(given.encode(), str(expected).encode())):
        response = JsonResponse({"success": False, "message": "Unauthorized."}, status=401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
