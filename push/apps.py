from django.apps import AppConfig


class PushConfig(AppConfig):
    """Expo push notifications for Django."""

    name = "push"
    verbose_name = "Push notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_started

        from push import checks, translation_checks  # noqa: F401  (register the checks)
        from push.delivery.background import start_on_request
        from push.receivers import connect_all

        connect_all()
        # Background mode: a web process retries what is due from its first request on.
        request_started.connect(start_on_request, dispatch_uid="push.background.start")
