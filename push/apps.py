from django.apps import AppConfig


class PushConfig(AppConfig):
    """Expo push notifications for Django."""

    name = "push"
    verbose_name = "Push notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from push import checks  # noqa: F401  (registers the system checks)
        from push.receivers import connect_all

        connect_all()
