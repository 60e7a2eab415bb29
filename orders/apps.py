from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Products, orders, payments and reviews of the marketplace."""

    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"
