"""The push app's settings: one dict, `settings.PUSH_NOTIFICATIONS`, read lazily.

Defaults live here and only here. Unknown keys are a configuration error naming them, so a
typo never silently falls back to a default.
"""

from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from push.exceptions import PushConfigurationError
from push.types import type_of_row

# RECEIVER_ERRORS: what a receiver that fails (a bug of its own, a user that does not exist)
# does to the save that ran it.
LOG = "log"
RAISE = "raise"

BACKGROUND = "background"
INLINE = "inline"
CELERY = "celery"
DELIVERY_MODES = (BACKGROUND, INLINE, CELERY)

DEFAULTS: dict[str, Any] = {
    # background: this process's delivery thread delivers after the commit and retries
    # what is due; inline: the committing thread delivers before going on; celery: the ids
    # go to Celery workers.
    "DELIVERY": BACKGROUND,
    # background mode: notification ids the hand-off queue holds (what does not fit stays
    # pending for the due-poll), seconds between looks for what is due (retries, held
    # notifications, leftovers of dead processes, receipts) while there is work, and the
    # longest a normal exit waits for the thread to deliver what it was handed.
    "BACKGROUND_QUEUE_SIZE": 10_000,
    "BACKGROUND_POLL_SECONDS": 5.0,
    "BACKGROUND_FLUSH_SECONDS": 10.0,
    # While nothing is due, the background thread and `push_deliver --loop` look less and
    # less often, at most this many seconds apart (never later than the next known due
    # time): an idle process costs the database about a transaction a minute.
    "IDLE_POLL_SECONDS": 60.0,
    # Dotted path of the transport class (see push/transports/).
    "TRANSPORT": "push.transports.expo.ExpoTransport",
    "EXPO_BASE_URL": "https://exp.host/--/api/v2/push",
    # Enhanced push security: sent as `Authorization: Bearer` when set.
    "EXPO_ACCESS_TOKEN": None,
    # Expo transport: requests in flight, notifications a second (None: no limit), timeouts.
    "CONCURRENCY": 6,
    "RATE_LIMIT_PER_SECOND": 600,
    "CONNECT_TIMEOUT": 5.0,
    "READ_TIMEOUT": 30.0,
    # Attempts per request on 429, 5xx, timeouts and connection errors; backoff doubles from
    # RETRY_BACKOFF_SECONDS up to RETRY_BACKOFF_MAX_SECONDS, with full jitter.
    "RETRY_ATTEMPTS": 4,
    "RETRY_BACKOFF_SECONDS": 1.0,
    "RETRY_BACKOFF_MAX_SECONDS": 30.0,
    # Expo message fields added to every message, then per notification type.
    "DEFAULT_MESSAGE_OPTIONS": {"sound": "default", "priority": "high"},
    "TYPE_MESSAGE_OPTIONS": {},
    # Dotted path of `counts(user_ids) -> {user_id: badge number}`, called once per chunk;
    # by default the unread count of the in-app inbox. None: no badge unless a send passes one.
    "BADGE_COUNTS": "push.inbox.unread_counts",
    # After a read, the user's iOS devices get a silent badge update, at most one per this
    # many seconds (reads are coalesced into slots; the update goes out at a slot's end).
    # None: no badge updates.
    "BADGE_SYNC_SECONDS": 60,
    # Largest JSON of title, subtitle, body and data; Expo refuses 4096 bytes and more.
    "MAX_PAYLOAD_BYTES": 3072,
    # Users per database round trip when sending in bulk.
    "BATCH_SIZE": 500,
    # A notification whose delivery failed for a transient reason (Expo down, no network)
    # is retried for this long after it was made (where its type has no maximum age), then
    # it fails. Between deliveries it waits DELIVERY_RETRY_SECONDS, doubling each time, at
    # most DELIVERY_RETRY_MAX_SECONDS.
    "RETRY_FOR_SECONDS": 24 * 3600,
    "DELIVERY_RETRY_SECONDS": 30.0,
    "DELIVERY_RETRY_MAX_SECONDS": 300.0,
    # The longest a request or a save waits for a synchronous (inline) delivery, retries
    # included; what is not delivered by then stays pending for a worker.
    "SYNC_DELIVERY_BUDGET_SECONDS": 5.0,
    # Receipts are asked for once tickets are this old (Expo: about 15 minutes).
    "RECEIPT_MIN_AGE_SECONDS": 15 * 60,
    # Shared rate limit for many workers: a Redis URL (None: each process limits itself).
    "RATE_LIMIT_REDIS_URL": None,
    # How long a worker's claim on a notification lasts; a dead worker's claims expire.
    "LEASE_SECONDS": 300,
    # Who is calling the API: dotted paths of authenticators, callables that take the
    # request and return a user or None (the next one tries), in order (see push/auth/).
    # Cookie-based ones (push.auth.session) make their users pass CSRF; others do not.
    "AUTHENTICATION": ["push.auth.session"],
    # Largest request body the token endpoints accept, in bytes (413 above it).
    "MAX_REQUEST_BYTES": 16 * 1024,
    # Requests per user (per client IP for "anonymous") to the API, as "count/period" with
    # period s, m, h or d ("5/10m": five every ten minutes); None turns a limit off. Keys
    # given here replace the defaults one by one. Counted in Django's default cache.
    "API_RATE_LIMITS": {
        "tokens": "30/m",
        "preferences": "30/m",
        "test": "5/m",
        "anonymous": "60/m",
        "inbox": "60/m",
    },
    # request.META key holding the client's address when a proxy sets it (e.g.
    # "HTTP_X_REAL_IP"); None: REMOTE_ADDR. Only name a header your proxy overwrites.
    "CLIENT_IP_HEADER": None,
    # Whether POST /api/users/push-tokens/test/ exists (then for staff, or anyone in DEBUG).
    "TEST_ENDPOINT_ENABLED": True,
    # What the test endpoint sends (its data is {"type": "test"}), in each user's language
    # when translatable (gettext_lazy).
    "TEST_NOTIFICATION": {
        "title": _("Test Notification"),
        "body": _("This is a test notification."),
    },
    # Dotted path of `language(user) -> code or None`, for a project that keeps its users'
    # languages itself (a field of its user model). None: push keeps them (the preferences
    # API's `language`, else the phone's Accept-Language at device registration).
    "USER_LANGUAGE": None,
    # A receiver that fails is logged and the save goes on ("log"; production: a broken
    # notification never takes the business data with it), or fails the save ("raise"; the
    # pytest plugin and override_push() set it, so a broken receiver fails its test).
    "RECEIVER_ERRORS": LOG,
    # Non-urgent notifications a user receives in any hour; the rest wait (None: no cap).
    "MAX_NOTIFICATIONS_PER_HOUR": 20,
    # Retention (push_prune): notifications and operator alerts older than this many days are
    # deleted (notifications with their deliveries), PRUNE_BATCH_SIZE per transaction;
    # tokens not registered again for STALE_TOKEN_DAYS are deactivated as "stale", and
    # tokens inactive for INACTIVE_TOKEN_DAYS are deleted (their delivery rows keep the
    # token's text). None keeps them for ever.
    "RETENTION_DAYS": 90,
    "STALE_TOKEN_DAYS": 270,
    "INACTIVE_TOKEN_DAYS": 90,
    "PRUNE_BATCH_SIZE": 1000,
    # A device whose receipt says MessageRateExceeded is skipped for this long, doubling
    # with each repeat (at most a day); a clean receipt ends the doubling.
    "DEVICE_PAUSE_SECONDS": 60.0,
    # The Prometheus endpoint (/metrics) answers only `Authorization: Bearer <this token>`;
    # None (the default) switches it off (404).
    "METRICS_TOKEN": None,
    # Seconds a notification of a type is worth pushing, replacing the type's own max_age
    # (push.register_type) for this project: {"message": 1800}. None: for ever.
    "MAX_AGE_SECONDS": {},
}


class PushSettings:
    """Attribute access to PUSH_NOTIFICATIONS merged over DEFAULTS, read on every access."""

    def user_settings(self) -> dict[str, Any]:
        """Return the project's PUSH_NOTIFICATIONS dict, checked for unknown keys."""
        configured = getattr(settings, "PUSH_NOTIFICATIONS", None) or {}
        if not isinstance(configured, dict):
            raise PushConfigurationError("PUSH_NOTIFICATIONS must be a dict.")
        unknown = sorted(set(configured) - set(DEFAULTS))
        if unknown:
            raise PushConfigurationError(
                f"Unknown PUSH_NOTIFICATIONS key(s): {', '.join(unknown)}. "
                f"Known keys: {', '.join(sorted(DEFAULTS))}."
            )
        return configured

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"No push setting named {name!r}.")
        return self.user_settings().get(name, DEFAULTS[name])


push_settings = PushSettings()


def max_age_of(kind: str) -> timedelta | None:
    """Return how long a notification of type `kind` is worth pushing (None: for ever).

    The type's own max_age (push.register_type), unless MAX_AGE_SECONDS names the type.
    Delivery skips older notifications as Expired; retries need not outlive it either.
    """
    configured = push_settings.user_settings().get("MAX_AGE_SECONDS") or {}
    if not isinstance(configured, dict):
        raise PushConfigurationError("PUSH_NOTIFICATIONS['MAX_AGE_SECONDS'] must be a dict.")
    if kind not in configured:
        return type_of_row(kind).max_age
    seconds = configured[kind]
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise PushConfigurationError(
            f"PUSH_NOTIFICATIONS['MAX_AGE_SECONDS'][{kind!r}] must be a positive number of "
            f"seconds or None, not {seconds!r}."
        )
    return timedelta(seconds=seconds)


@lru_cache(maxsize=16)
def imported(name: str, path: str) -> Any:
    """Return what the dotted-path setting `name` names, imported once.

    Raises PushConfigurationError naming the setting when it cannot be imported.
    """
    try:
        return import_string(path)
    except ImportError as exc:
        raise PushConfigurationError(
            f"{name} names {path!r}, which cannot be imported ({exc})."
        ) from exc
