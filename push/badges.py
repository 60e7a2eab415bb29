"""Silent badge updates: after a user reads notifications, their iOS icons show the new count.

A read schedules one silent push per user and time slot of BADGE_SYNC_SECONDS: a
NotificationLog row that is not an inbox item (`in_inbox` false), of type "system", with no
title or body, keyed `badge-sync:<slot>` (the (user, key) constraint makes the slot's first
read write it and every later read of that slot a no-op) and due at the slot's end. So
reading 50 items in a minute sends at most one update per device and slot, and the update
carries the unread count when it is sent (the engine's BADGE_COUNTS, once per chunk), which
includes every read of the slot.

From there it is an ordinary outbox row: claimed when due, retried, counted in reports. The
delivery engine treats it apart in three places only: screening (never held by quiet hours
or the hourly cap, not counted by the cap, not skipped by type preferences), targets (iOS
devices only: Android launchers count for themselves) and the payload (`badge` and
`_contentAvailable`, no title, body or sound).
"""

import math
from datetime import UTC, datetime, timedelta

from push import clock
from push.conf import push_settings
from push.models import NotificationLog, PushToken
from push.types import SYSTEM

KEY_PREFIX = "badge-sync:"
# Expo fields of every badge update; the badge number and the ttl are added when it is sent.
# Priority "normal" is Apple's priority 5, the one background (content-available) pushes need.
OPTIONS = {"_contentAvailable": True, "priority": "normal"}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_badge_update(notification: NotificationLog) -> bool:
    """Whether a row is a silent badge update (not news: never in the inbox)."""
    return not notification.in_inbox and notification.key.startswith(KEY_PREFIX)


def sync_seconds() -> float | None:
    """Return BADGE_SYNC_SECONDS, or None when badge updates are off (no badge to sync)."""
    seconds = push_settings.BADGE_SYNC_SECONDS
    if not seconds or not push_settings.BADGE_COUNTS:
        return None
    return float(seconds)


def schedule_update(user_id: int) -> bool:
    """Schedule the user's iOS devices a badge update at the end of this time slot.

    Called after a read that changed something. At most two queries: whether the user has
    an active iOS device, then one INSERT that the slot's earlier update (same key) turns
    into a no-op. Returns whether an update is (or already was) scheduled.
    """
    seconds = sync_seconds()
    if seconds is None:
        return False
    ios = PushToken.objects.active().ios().filter(user_id=user_id)
    if not ios.exists():
        return False
    now = clock.now()
    slot = math.floor((now - _EPOCH).total_seconds() / seconds)
    row = NotificationLog(
        user_id=user_id,
        type=SYSTEM,
        title="",
        body="",
        options=dict(OPTIONS),
        in_inbox=False,
        key=f"{KEY_PREFIX}{slot}",
        next_attempt_at=max(now, _EPOCH + (slot + 1) * timedelta(seconds=seconds)),
    )
    NotificationLog.objects.bulk_create([row], ignore_conflicts=True)
    return True
