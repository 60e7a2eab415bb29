"""How long a notification is worth pushing: its type's maximum age, and from when it counts.

A notification is fresh from its creation or, if quiet hours or the hourly cap held it,
from its release: the user asked for "later", not "never". Expiry (the screening's
Expired), the Expo `ttl` of what is left, and how long failures are retried all read it
here.
"""

import math
from datetime import datetime, timedelta

from push.conf import max_age_of, push_settings
from push.models import NotificationLog


def fresh_from(notification: NotificationLog) -> datetime:
    """Return when the notification's maximum age starts: its release, or its creation."""
    return notification.released_at or notification.created_at


def fresh_until(notification: NotificationLog) -> datetime | None:
    """Return when the notification stops being worth pushing (None: never)."""
    age = max_age_of(notification.type)
    return None if age is None else fresh_from(notification) + age


def seconds_left(notification: NotificationLog, now: datetime) -> int | None:
    """Return the whole seconds (at least 1) a notification has left to be worth pushing."""
    until = fresh_until(notification)
    if until is None:
        return None
    return max(1, math.floor((until - now).total_seconds()))


def retry_until(notification: NotificationLog) -> datetime:
    """Return until when a failed delivery is retried: while the notification is fresh, or
    RETRY_FOR_SECONDS after it could first go out where its type has no maximum age."""
    until = fresh_until(notification)
    if until is not None:
        return until
    return fresh_from(notification) + timedelta(seconds=push_settings.RETRY_FOR_SECONDS)
