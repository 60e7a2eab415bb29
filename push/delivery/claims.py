"""Leases on pending notifications, so that one notification is delivered by one worker.

A claim stamps rows with a fresh token and a lease end in one UPDATE whose WHERE clause
only matches rows that are pending and not leased (or whose lease ran out: their worker
died). The token then tells which rows this claimer got.

PostgreSQL: the worker's "next N due rows" are picked with SELECT ... FOR UPDATE SKIP
LOCKED, so concurrent workers take disjoint batches without waiting for each other; an
UPDATE that meets a row another transaction is changing re-checks its WHERE clause after
that transaction ends, so a row is never claimed twice.
SQLite: there are no row locks; a write locks the whole database, so each claiming UPDATE
runs alone and the same WHERE clause keeps claims disjoint (workers simply take turns).
"""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from push import clock
from push.conf import push_settings
from push.models import NotificationLog


def new_lease(now: datetime | None = None) -> dict[str, Any]:
    """Return the fields that mark rows as claimed by a new, unique claimer."""
    now = now or clock.now()
    return {
        "lease_token": uuid.uuid4().hex,
        "locked_until": now + timedelta(seconds=push_settings.LEASE_SECONDS),
    }


# The fields of a row whose claim is given up: anyone may claim it again.
RELEASED: dict[str, Any] = {"locked_until": None, "lease_token": ""}


def held_by(rows: Iterable[NotificationLog]) -> QuerySet:
    """Return the rows still held by the leases `rows` were claimed with (filter them further)."""
    tokens = {row.lease_token for row in rows if row.lease_token}
    return NotificationLog.objects.filter(lease_token__in=tokens)


def renew(tokens: Iterable[str]) -> int:
    """Extend the leases stamped with `tokens` (work still in flight); return rows renewed.

    Only pending rows still carrying one of the tokens are renewed: a lease that ran out
    and was taken by another claimer stays theirs.
    """
    tokens = [token for token in tokens if token]
    if not tokens:
        return 0
    return (
        NotificationLog.objects.pending()
        .filter(lease_token__in=tokens)
        .update(locked_until=clock.now() + timedelta(seconds=push_settings.LEASE_SECONDS))
    )


def _stamp(rows: QuerySet, now: datetime) -> tuple[str, int]:
    """Lease the pending, unleased rows among `rows`; return the lease's token and count."""
    lease = new_lease(now)
    count = rows.pending().unleased(now).update(**lease)
    return lease["lease_token"], count


def claim_ids(ids: Iterable[int]) -> list[NotificationLog]:
    """Claim the pending, unleased notifications among `ids`; return them loaded."""
    now = clock.now()
    token, _ = _stamp(NotificationLog.objects.filter(pk__in=list(ids)), now)
    return list(NotificationLog.objects.filter(lease_token=token))


def claim_rows(rows: list[NotificationLog]) -> list[NotificationLog]:
    """Claim these loaded notifications; return the ones this call got.

    One UPDATE when it gets them all (the usual case), and a SELECT only when it did not.
    """
    if not rows:
        return []
    now = clock.now()
    lease = new_lease(now)
    count = (
        NotificationLog.objects.filter(pk__in=[row.pk for row in rows])
        .pending()
        .unleased(now)
        .update(**lease)
    )
    if count != len(rows):
        claimed = set(
            NotificationLog.objects.filter(lease_token=lease["lease_token"]).values_list(
                "pk", flat=True
            )
        )
        rows = [row for row in rows if row.pk in claimed]
    for row in rows:  # the caller's instances now know whose they are
        row.lease_token = lease["lease_token"]
        row.locked_until = lease["locked_until"]
    return rows


def claim_released_with(rows: list[NotificationLog]) -> list[NotificationLog]:
    """Claim the other due, held notifications of the users of the held ones among `rows`.

    A user's released notifications go out as one digest per type, so a chunk takes all
    of them, even those a claim by primary key left for the next chunk. Two queries, and
    none when `rows` holds nothing that was held.
    """
    users = {row.user_id for row in rows if row.held}
    if not users:
        return []
    now = clock.now()
    siblings = (
        NotificationLog.objects.due(now)
        .filter(user_id__in=users, held=True)
        .exclude(pk__in=[row.pk for row in rows])
    )
    token, count = _stamp(siblings, now)
    if not count:
        return []
    return list(NotificationLog.objects.filter(lease_token=token).order_by("pk"))


def claim_due(limit: int) -> list[NotificationLog]:
    """Claim up to `limit` notifications whose delivery is due; return them loaded."""
    now = clock.now()
    due = NotificationLog.objects.claimable(now).order_by("pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            token, _ = _stamp(NotificationLog.objects.filter(pk__in=ids), now)
        else:
            token, _ = _stamp(NotificationLog.objects.filter(pk__in=due.values("pk")[:limit]), now)
    return list(NotificationLog.objects.filter(lease_token=token).order_by("pk"))
