from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from push.metrics.views import metrics as push_metrics
from unitrade.views import home


@csrf_exempt
def api_not_found(request: HttpRequest) -> JsonResponse:
    """JSON 404 for the rest of /api/ (the app parses every answer), DEBUG on or off."""
    return JsonResponse({"success": False, "message": "Not found."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """JSON 500 for the API, without any detail of the error."""
    if request.path.startswith("/api/"):
        return JsonResponse({"success": False, "message": "Internal server error."}, status=500)
    return defaults.server_error(request)


handler500 = server_error

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    # Push's URLs answer JSON by themselves, unknown ones and missing slashes included.
    path("api/users/", include("push.api.urls")),
    re_path(r"^api(?:/|$)", api_not_found),
    path("metrics", push_metrics, name="metrics"),
]
