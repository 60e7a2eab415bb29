from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults

from push.metrics.views import metrics as push_metrics


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON 404 for the API (the app parses every answer), Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse({"success": False, "message": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """JSON 500 for the API, without any detail of the error."""
    if _is_api(request):
        return JsonResponse({"success": False, "message": "Internal server error."}, status=500)
    return defaults.server_error(request)


handler404 = not_found
handler500 = server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/users/", include("push.api.urls")),
    path("metrics", push_metrics, name="metrics"),
]
