"""The in-app inbox: what a user was told, what is still unread, and the badge number.

The inbox is made of the NotificationLog rows themselves (no second table that can drift):
every notification addressed to the user from the moment it is committed, also while its
push is held (quiet hours, hourly cap) and when the push was skipped (type switched off,
no device). Rows with `in_inbox` false are left out: a notification refused for its own
content (PayloadTooLarge, see push/notification.py), and pushes that are not news to show (the
silent badge updates of push/badges.py, scheduled when the user reads).

Every function makes a fixed number of queries whatever the user's history, on the two
partial indexes of push/models.py: (user, created_at, id) over the inbox rows, and the same
over its unread rows. Pages use a keyset cursor on (created_at, id), so notifications
arriving between two pages never repeat or push an item out of the next page.
"""

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from push import badges, clock
from push.models import NotificationLog
from push.types import is_registered, type_names
from push.users import user_id_of

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # the largest primary key a database holds (BigAutoField)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(-?[0-9]{1,18})\.([0-9]{1,19})")
MAX_CURSOR_LENGTH = 64
ITEM_FIELDS = ("id", "type", "title", "body", "data", "created_at", "read_at")


class InvalidCursor(ValueError):
    """A cursor that `list_notifications` did not hand out."""


@dataclass(frozen=True)
class Page:
    """One page of a user's inbox, newest first; `next_cursor` is None on the last page."""

    items: list[NotificationLog]
    next_cursor: str | None


def inbox_of(user_id: Any) -> QuerySet[NotificationLog]:
    """Return the user's inbox rows (unordered), each from its time on.

    A notification scheduled for later (push_send --at) is dated then, and listed from then.
    """
    return NotificationLog.objects.listed(clock.now()).filter(user_id=user_id)


def unread_of(user_id: Any) -> QuerySet[NotificationLog]:
    """Return the user's unread inbox rows (unordered), each from its time on."""
    return NotificationLog.objects.unread(clock.now()).filter(user_id=user_id)


def encode_cursor(created_at: datetime, pk: int) -> str:
    """Return the opaque cursor of the position just after (older than) this item."""
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    raw = f"{micros}.{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Return the (created_at, id) a cursor stands for; raise InvalidCursor if it is not one."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor is not valid.")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (UnicodeError, ValueError, binascii.Error):
        raise InvalidCursor("cursor is not valid.") from None
    match = _CURSOR.fullmatch(raw)
    if match is None:
        raise InvalidCursor("cursor is not valid.")
    pk = int(match.group(2))
    try:
        created_at = _EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        raise InvalidCursor("cursor is not valid.") from None
    if not 0 < pk <= MAX_ID or not 1 <= created_at.year <= 9999:
        raise InvalidCursor("cursor is not valid.")
    return created_at, pk


def list_notifications(
    user,
    *,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
    unread_only: bool = False,
    type: str | None = None,
) -> Page:
    """Return one page of the user's inbox, newest first, after `cursor` if given (1 query).

    Raises ValueError for a limit outside 1..MAX_PAGE_SIZE or an unknown type, and
    InvalidCursor for a cursor this function did not hand out.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be an integer from 1 to {MAX_PAGE_SIZE}.")
    if type is not None and not is_registered(type):
        raise ValueError(f"type must be one of: {', '.join(type_names())}.")
    rows = unread_of(user_id_of(user)) if unread_only else inbox_of(user_id_of(user))
    if type is not None:
        rows = rows.filter(type=type)
    if cursor is not None:
        created_at, pk = decode_cursor(cursor)
        # `created_at <= t` bounds the index scan; the OR only sorts out equal timestamps.
        rows = rows.filter(created_at__lte=created_at).filter(
            Q(created_at__lt=created_at) | Q(id__lt=pk)
        )
    items = list(rows.order_by("-created_at", "-id").only(*ITEM_FIELDS)[: limit + 1])
    if len(items) <= limit:
        return Page(items, None)
    last = items[limit - 1]
    return Page(items[:limit], encode_cursor(last.created_at, last.pk))


def unread_count(user) -> int:
    """Return the number of unread notifications in the user's inbox (1 query)."""
    return unread_of(user_id_of(user)).count()


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """Return {user_id: unread count} for every user given, 0 included (1 query).

    This is the default BADGE_COUNTS: the delivery engine asks it once per chunk.
    """
    ids = {user_id_of(user_id) for user_id in user_ids}
    if not ids:
        return {}
    rows = (
        NotificationLog.objects.unread(clock.now())
        .filter(user_id__in=ids)
        .values("user_id")
        .annotate(unread=Count("id"))
        .order_by()
        .values_list("user_id", "unread")
    )
    counts = dict.fromkeys(ids, 0)
    counts.update(rows)
    return counts


def mark_read(user, ids: Iterable[int] | None = None, *, all: bool = False) -> int:
    """Mark the user's notifications read: those of `ids`, or `all`; return how many.

    Ids of other users' notifications, of rows that do not exist or are not inbox items, and
    of notifications already read are ignored and not counted. `updated_at` is left alone:
    it dates delivery (the hourly cap counts recent sends by it), not reading.

    A read that marked something schedules the user's iOS devices a silent badge update
    (push.badges: one per BADGE_SYNC_SECONDS, however many reads). One query when nothing
    was marked, at most three otherwise.
    """
    if all == (ids is not None):
        raise ValueError("Give either ids or all=True.")
    rows = unread_of(user_id_of(user))
    if not all:
        wanted = {
            pk
            for pk in ids
            if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk <= MAX_ID
        }
        if not wanted:
            return 0
        rows = rows.filter(id__in=wanted)
    marked = rows.update(read_at=clock.now())
    if marked:
        badges.schedule_update(user_id_of(user))
    return marked
