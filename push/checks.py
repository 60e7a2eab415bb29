"""System checks of the push app: stable ids, messages in constants."""

import math
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

from push.api.throttling import invalid_rates
from push.auth.pipeline import configuration_problems as authentication_problems
from push.conf import DELIVERY_MODES, LOG, RAISE, imported, max_age_of, push_settings
from push.exceptions import PushConfigurationError
from push.receivers import declarations, tracker_for, trackers_of
from push.types import SYSTEM, is_registered, type_names
from push.users import has_field

E001_INVALID_SETTINGS = "push.E001"
E002_UNTRACKED_FIELD = "push.E002"
E003_UNKNOWN_MODEL = "push.E003"
E004_UNKNOWN_DELIVERY_MODE = "push.E004"
E005_INVALID_RATE_LIMIT = "push.E005"
E006_INVALID_HOURLY_CAP = "push.E006"
E007_UNIMPORTABLE_PATH = "push.E007"
E008_UNKNOWN_FIELD = "push.E008"
E009_INVALID_MAX_AGE = "push.E009"
E010_INVALID_BADGE_SYNC = "push.E010"
E011_INVALID_AUTHENTICATION = "push.E011"
E012_UNKNOWN_TYPE = "push.E012"
E013_INVALID_RECEIVER_ERRORS = "push.E013"
E014_MALFORMED_VALUES = "push.E014"
# Deploy checks (`manage.py check --deploy`).
W001_TEST_ENDPOINT_ENABLED = "push.W001"
W002_DEVELOPMENT_TRANSPORT = "push.W002"
W003_DEVELOPMENT_SETTING = "push.W003"
W004_LOCAL_CACHE = "push.W004"
W005_UNSHARED_RATE_LIMIT = "push.W005"
W006_SQLITE_DEFERRED = "push.W006"

E011_HINT = (
    "List dotted paths of callables that take the request and return a user or None, "
    'e.g. ["push.auth.simplejwt_bearer", "push.auth.session"].'
)
W001_MESSAGE = (
    "The push test endpoint (POST push-tokens/test/ under push's URLs) is enabled: staff "
    "accounts can make the backend send notifications on demand."
)
W001_HINT = "Set PUSH_NOTIFICATIONS['TEST_ENDPOINT_ENABLED'] = False."
W002_MESSAGE = (
    "PUSH_NOTIFICATIONS['TRANSPORT'] is a development transport: nothing reaches a phone."
)
W002_HINT = "Use push.transports.expo.ExpoTransport (the default)."
W003_DEBUG = "DEBUG is on: error pages and SQL logging expose tokens and chat text."
W003_SECRET_KEY = (
    "SECRET_KEY is a development key: anyone who knows it can forge the app's access tokens."
)
W003_LOOPBACK_EXPO = "EXPO_BASE_URL points at this machine, not at Expo's push service."
W003_HINT = (
    "In production settings: DEBUG = False, a SECRET_KEY of your own, and "
    "PUSH_NOTIFICATIONS['EXPO_BASE_URL'] left to Expo's (the default)."
)
W004_MESSAGE = "The default cache is {backend}: API rate limits are not shared between processes."
W004_HINT = (
    "Point CACHES['default'] at a cache all processes share, e.g. "
    "django.core.cache.backends.redis.RedisCache."
)
W005_MESSAGE = (
    "Expo's rate limit is counted per process: every web process, push_deliver worker and "
    "Celery worker sends up to RATE_LIMIT_PER_SECOND on its own, so together they exceed "
    "Expo's 600/s and draw 429s."
)
W005_HINT = "Set PUSH_NOTIFICATIONS['RATE_LIMIT_REDIS_URL'] to a Redis every process shares."
W006_MESSAGE = (
    "SQLite database {alias!r} starts its transactions DEFERRED: the background delivery "
    "thread and your own saves write at the same time, and a transaction that reads before "
    "it writes then fails at once with 'database is locked'."
)
W006_HINT = (
    'Add "transaction_mode": "IMMEDIATE" and "timeout": 20 to DATABASES[{alias!r}]["OPTIONS"] '
    '(and "init_command": "PRAGMA journal_mode=WAL;" so reads never wait for a write).'
)

# Modules of the transports that never reach a phone.
DEVELOPMENT_TRANSPORTS = frozenset({"push.transports.console", "push.transports.locmem"})
LOCAL_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


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
    if push_settings.RECEIVER_ERRORS not in (LOG, RAISE):
        errors.append(
            Error(
                f"PUSH_NOTIFICATIONS['RECEIVER_ERRORS'] is {push_settings.RECEIVER_ERRORS!r}.",
                hint=f'Use "{LOG}" (a failing receiver is logged) or "{RAISE}" (the save fails).',
                id=E013_INVALID_RECEIVER_ERRORS,
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
    ages = push_settings.MAX_AGE_SECONDS
    for kind in ages if isinstance(ages, dict) else [SYSTEM]:  # not a dict: E009 says so
        try:
            max_age_of(kind)
        except PushConfigurationError as exc:
            errors.append(
                Error(
                    str(exc),
                    hint='Use {"message": 3600, ...}: seconds a type is worth pushing, or None.',
                    id=E009_INVALID_MAX_AGE,
                )
            )
            break
    for name in ("MAX_AGE_SECONDS", "TYPE_MESSAGE_OPTIONS"):
        unknown = [kind for kind in _configured_types(name) if not is_registered(kind)]
        if unknown:
            errors.append(
                Error(
                    f"PUSH_NOTIFICATIONS[{name!r}] names notification types nobody registered: "
                    f"{', '.join(map(repr, unknown))}.",
                    hint=f"Registered: {', '.join(type_names())}. Declare a type with "
                    "push.register_type() in its app's notifications.py.",
                    id=E012_UNKNOWN_TYPE,
                )
            )
    sync = push_settings.BADGE_SYNC_SECONDS
    if sync is not None and (
        isinstance(sync, bool) or not isinstance(sync, int | float) or not 0 < sync < math.inf
    ):
        errors.append(
            Error(
                f"PUSH_NOTIFICATIONS['BADGE_SYNC_SECONDS'] is {sync!r}.",
                hint="Use a positive number of seconds, or None for no badge updates.",
                id=E010_INVALID_BADGE_SYNC,
            )
        )
    errors.extend(
        Error(problem, hint=E011_HINT, id=E011_INVALID_AUTHENTICATION)
        for problem in authentication_problems()
    )
    for name in ("TRANSPORT", "BADGE_COUNTS", "USER_LANGUAGE"):
        path = getattr(push_settings, name)
        if path is None:
            continue
        try:
            imported(name, path)
        except PushConfigurationError:
            errors.append(
                Error(
                    f"PUSH_NOTIFICATIONS[{name!r}] is {path!r}, which cannot be imported.",
                    hint="Give the dotted path of an importable class or function.",
                    id=E007_UNIMPORTABLE_PATH,
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_deployment(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Warn about development conveniences that must not reach production."""
    try:
        push_settings.user_settings()
    except PushConfigurationError:
        return []  # reported by check_settings
    warnings: list[CheckMessage] = []
    if push_settings.TEST_ENDPOINT_ENABLED:
        warnings.append(CheckWarning(W001_MESSAGE, hint=W001_HINT, id=W001_TEST_ENDPOINT_ENABLED))
    if str(push_settings.TRANSPORT).rpartition(".")[0] in DEVELOPMENT_TRANSPORTS:
        warnings.append(CheckWarning(W002_MESSAGE, hint=W002_HINT, id=W002_DEVELOPMENT_TRANSPORT))
    leaks = []
    if settings.DEBUG:
        leaks.append(W003_DEBUG)
    if str(getattr(settings, "SECRET_KEY", "")).startswith("django-insecure-"):
        leaks.append(W003_SECRET_KEY)
    if _is_loopback(push_settings.EXPO_BASE_URL):
        leaks.append(W003_LOOPBACK_EXPO)
    warnings.extend(
        CheckWarning(leak, hint=W003_HINT, id=W003_DEVELOPMENT_SETTING) for leak in leaks
    )
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in LOCAL_CACHES:
        warnings.append(
            CheckWarning(W004_MESSAGE.format(backend=backend), hint=W004_HINT, id=W004_LOCAL_CACHE)
        )
    if unshared_rate_limit():
        warnings.append(CheckWarning(W005_MESSAGE, hint=W005_HINT, id=W005_UNSHARED_RATE_LIMIT))
    return warnings


@register()
def check_sqlite(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Warn about SQLite databases whose transactions would fail under concurrent writes."""
    return [
        CheckWarning(
            W006_MESSAGE.format(alias=alias),
            hint=W006_HINT.format(alias=alias),
            id=W006_SQLITE_DEFERRED,
        )
        for alias in deferred_sqlite_databases(settings.DATABASES)
    ]


def deferred_sqlite_databases(databases: dict) -> list[str]:
    """The aliases of SQLite databases whose transactions start DEFERRED (SQLite's default)."""
    return [
        alias
        for alias, database in databases.items()
        if database.get("ENGINE", "").endswith("sqlite3")
        and str((database.get("OPTIONS") or {}).get("transaction_mode") or "").upper()
        != "IMMEDIATE"
    ]


def _configured_types(name: str) -> list[str]:
    """The notification types a per-type setting names (none if it is not a dict)."""
    value = getattr(push_settings, name)
    return list(value) if isinstance(value, dict) else []


def unshared_rate_limit() -> bool:
    """Whether Expo's rate is limited per process rather than shared by all processes."""
    return bool(push_settings.RATE_LIMIT_PER_SECOND) and not push_settings.RATE_LIMIT_REDIS_URL


def _is_loopback(url: object) -> bool:
    try:
        host = urlsplit(str(url)).hostname or ""
    except ValueError:
        return False
    return host == "localhost" or host.startswith("127.") or host == "::1"


@register()
def check_receivers(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Report receivers whose model does not exist or whose field no FieldTracker tracks."""
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
        if declaration.field is not None and not has_field(model, declaration.field):
            errors.append(
                Error(
                    f"{declaration.name} watches {declaration.model}.{declaration.field}, "
                    f"but {model.__name__} has no field {declaration.field!r}.",
                    hint="Name one of its fields: "
                    + ", ".join(f.name for f in model._meta.concrete_fields)
                    + ".",
                    obj=model,
                    id=E008_UNKNOWN_FIELD,
                )
            )
            continue
        if declaration.field is not None and tracker_for(model, declaration.field) is None:
            errors.append(
                Error(
                    f"{declaration.name} watches {declaration.model}.{declaration.field}, "
                    "which no FieldTracker tracks.",
                    hint=_tracker_hint(model, declaration.field),
                    obj=model,
                    id=E002_UNTRACKED_FIELD,
                )
            )
        if declaration.malformed_to is not None:
            given = declaration.malformed_to
            errors.append(
                Error(
                    f"{declaration.name} watches {declaration.model}.{declaration.field} "
                    f"changing to={given!r}, which is not a list of values: it never fires.",
                    hint=f"Give the values in a list: to=[{given!r}].",
                    obj=model,
                    id=E014_MALFORMED_VALUES,
                )
            )
    return errors


def _tracker_hint(model, field: str) -> str:
    """Add the field to the model's tracker, or give the model one."""
    tracker = next((name for name, _ in trackers_of(model)), None)
    if tracker is not None:
        return (
            f"Add {field!r} to the fields of {model.__name__}.{tracker}: "
            f"FieldTracker(fields=[..., {field!r}])."
        )
    return f"Add `tracker = FieldTracker(fields=[{field!r}])` to {model.__name__}."
