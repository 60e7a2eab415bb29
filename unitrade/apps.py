from django.apps import AppConfig


class UnitradeConfig(AppConfig):
    """The project itself, installed so that its management commands are found."""

    name = "unitrade"
    verbose_name = "UniTrade"
