"""Inbox rows for the inbox tests: written with set creation times, listed newest first."""

from datetime import UTC, datetime, timedelta

from push.models import NotificationLog

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def notes(user, count, *, start=T0, step=timedelta(seconds=1), **fields):
    """Write `count` inbox rows for `user`, the n-th created at start + n*step; oldest first."""
    rows = NotificationLog.objects.bulk_create(
        [
            NotificationLog(user=user, title=f"n{n}", body="b", status="sent", **fields)
            for n in range(count)
        ]
    )
    for n, row in enumerate(rows):
        row.created_at = start + n * step
    NotificationLog.objects.bulk_update(rows, ["created_at"])
    return rows


def newest_first(rows):
    """The ids of `rows` in the inbox's order: newest first, then the higher id first."""
    return [r.pk for r in sorted(rows, key=lambda r: (r.created_at, r.pk), reverse=True)]
