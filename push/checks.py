"""System checks of the push app: stable ids, messages in constants."""

from django.core.checks import CheckMessage, Error, register

from push.conf import push_settings
from push.exceptions import PushConfigurationError

E001_INVALID_SETTINGS = "push.E001"


@register()
def check_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Report a PUSH_NOTIFICATIONS dict that cannot be read (unknown keys, wrong type)."""
    try:
        push_settings.user_settings()
    except PushConfigurationError as exc:
        return [Error(str(exc), id=E001_INVALID_SETTINGS)]
    return []
