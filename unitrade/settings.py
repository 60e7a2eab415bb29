"""Settings for the UniTrade backend, read from the environment with development defaults.

Every variable is documented in docs/unitrade.md ("Environment variables"), and
tests/unitrade/test_settings.py checks that the two name the same ones.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from unitrade.env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off: it signs sessions and "
            "the bearer tokens of the mobile app."
        )
    # Development only: a fixed key keeps sessions and access tokens valid across restarts.
    SECRET_KEY = "django-insecure-unitrade-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "unitrade",
    "push",
    "orders",
    "messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "unitrade.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "unitrade.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Workers and the web process write concurrently: wait for the lock instead of
        # failing, take it when a transaction starts (no lock upgrades to deadlock on),
        # and let readers proceed while one writes (WAL).
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    # A file, not memory, beside the database: tests start worker processes that must see
    # the same database (db.sqlite3 -> test-db.sqlite3).
    _database = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_database.with_name(f"test-{_database.name}"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The API's rate limits count in the default cache: Redis in production (CACHE_URL or
# REDIS_URL, install the [redis] extra), this process's memory otherwise.
CACHE_URL = env_str("CACHE_URL") or env_str("REDIS_URL")
if CACHE_URL is None:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_URL.split("://", 1)[0] in {"redis", "rediss", "unix"}:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "unitrade",
            # A hung Redis must not hang the API: it is let through after a second.
            "OPTIONS": {"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
        }
    }
else:
    raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL.")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Notifications are written in each user's language (push.languages): the app's locale,
# or what the user chose. English texts are the guide's; German and Spanish are translated
# (orders/, messaging/, unitrade/ and push's own locale/ directories).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Lifetime of the access tokens printed by `manage.py access_token` (simplejwt's default is 5).
ACCESS_TOKEN_LIFETIME_MINUTES = 60

# Celery (PUSH_DELIVERY=celery): Redis as the broker; beat runs the periodic push work.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the task to another
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A save hands its ids to the broker after the commit: a broker that is down or hangs must
# cost the request a couple of seconds at most (the rows stay pending for beat's poll).
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 1.0,
    "socket_connect_timeout": 1.0,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE = {
    "push-deliver-due": {"task": "push.deliver_due", "schedule": 30.0},
    "push-check-receipts": {"task": "push.check_receipts", "schedule": 300.0},
    "push-prune": {"task": "push.prune", "schedule": 24 * 3600.0},  # retention, stale tokens
}

PUSH_NOTIFICATIONS = {
    "DELIVERY": env_str("PUSH_DELIVERY", "background"),
    "TRANSPORT": env_str("PUSH_TRANSPORT", "push.transports.expo.ExpoTransport"),
    "RATE_LIMIT_REDIS_URL": env_str("PUSH_RATE_LIMIT_REDIS_URL"),
    "EXPO_BASE_URL": env_str("EXPO_BASE_URL", "https://exp.host/--/api/v2/push"),
    "EXPO_ACCESS_TOKEN": env_str("EXPO_ACCESS_TOKEN"),
    "TEST_ENDPOINT_ENABLED": env_bool("PUSH_TEST_ENDPOINT", default=True),
    # The guide's words, which the mobile app's developers look for.
    "TEST_NOTIFICATION": {
        "title": _("Test Notification"),
        "body": _("This is a test notification from UniTrade!"),
    },
    # The Prometheus endpoint /metrics answers this bearer token (unset: no endpoint).
    "METRICS_TOKEN": env_str("METRICS_TOKEN"),
    # The mobile app sends `Authorization: Bearer <access token>` (simplejwt's format,
    # `manage.py access_token` prints one); browsers (the admin's staff) their session,
    # which must then pass CSRF.
    "AUTHENTICATION": ["push.auth.simplejwt_bearer", "push.auth.session"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Django gives its own `django` logger a console handler and lets it propagate to
        # the root's too: every line would print twice. One handler, no propagation.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "push": {"level": env_str("PUSH_LOG_LEVEL", "INFO")},
    },
}
