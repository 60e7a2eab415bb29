from django.urls import path, re_path

from push.api import fallback, inbox, views

app_name = "push"

urlpatterns = [
    path("push-tokens/", views.save_push_token, name="save_push_token"),
    path("push-tokens/remove/", views.remove_push_token, name="remove_push_token"),
    path("push-tokens/test/", views.send_test_notification, name="test_notification"),
    path("push-preferences/", views.push_preferences, name="push_preferences"),
    path("notifications/", inbox.notifications, name="notifications"),
    path("notifications/read/", inbox.mark_notifications_read, name="notifications_read"),
    path("notifications/unread-count/", inbox.unread_count, name="unread_count"),
    path(views.OPENAPI_PATH, views.openapi_document, name="openapi"),
    # Last: whatever is left below push's prefix is a JSON 404 (a missing slash named).
    re_path(r"", fallback.not_found, name="not_found"),
]
