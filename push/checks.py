"""System checks of the push app: stable ids, messages in constants."""

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

from push.conf import DELIVERY_MODES, push_settings
from push.exceptions import PushConfigurationError
from push.throttling import invalid_rates

E001_INVALID_SETTINGS = "push.E001"
E002_UNTRACKED_FIELD = "push.E002"
E003_UNKNOWN_MODEL = "push.E003"
E004_UNKNOWN_DELIVERY_MODE = "push.E004"
E005_INVALID_RATE_LIMIT = "push.E005"
E006_INVALID_HOURLY_CAP = "push.E006"


@register()
def check_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Report a PUSH_NOTIFICATIONS dict that cannot be read (unknown keys, wrong type)."""
    try:
        push_settings.user_settings()
    except PushConfigurationError as exc:
        return [Error(str(exc), id=E001_INVALID_SETTINGS)]
    errors: list[CheckMessage] = []
    if push_settings.DELIVERY not in DELIVERY_MODES:
        errors.append(
            Error(
                f"PUSH_NOTIFICATIONS['DELIVERY'] is {push_settings.DELIVERY!r}.",
                hint=f"Use one of: {', '.join(DELIVERY_MODES)}.",
                id=E004_UNKNOWN_DELIVERY_MODE,
            )
        )
    for problem in invalid_rates():
        errors.append(
            Error(
                problem,
                hint='Rates look like "30/m" ("count/period", period s, m, h or d), or None.',
                id=E005_INVALID_RATE_LIMIT,
            )
        )
    cap = push_settings.MAX_NOTIFICATIONS_PER_HOUR
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        errors.append(
            Error(
                f"PUSH_NOTIFICATIONS['MAX_NOTIFICATIONS_PER_HOUR'] is {cap!r}.",
                hint="Use a positive integer, or None for no cap.",
                id=E006_INVALID_HOURLY_CAP,
            )
        )
    return errors


@register()
def check_receivers(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Report receivers whose model does not exist or whose field no FieldTracker tracks."""
    from push.receivers import declarations, tracker_for

    errors: list[CheckMessage] = []
    for declaration in declarations():
        try:
            model = apps.get_model(declaration.model)
        except (LookupError, ValueError):
            errors.append(
                Error(
                    f"{declaration.name} listens to {declaration.model!r}, which is not an "
                    "installed model.",
                    hint='Use "app_label.ModelName".',
                    id=E003_UNKNOWN_MODEL,
                )
            )
            continue
        if declaration.field is not None and tracker_for(model, declaration.field) is None:
            errors.append(
                Error(
                    f"{declaration.name} watches {declaration.model}.{declaration.field}, "
                    "which no FieldTracker tracks.",
                    hint=f"Add `tracker = FieldTracker(fields=[{declaration.field!r}])` "
                    f"to {model.__name__}.",
                    obj=model,
                    id=E002_UNTRACKED_FIELD,
                )
            )
    return errors
