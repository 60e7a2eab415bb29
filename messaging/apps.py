from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Chat threads between a product's buyer and seller."""

    name = "messaging"
    default_auto_field = "django.db.models.BigAutoField"
