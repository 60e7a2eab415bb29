"""Digests: a user's released notifications of one type, pushed as one.

When notifications held by quiet hours or the hourly cap are released, each user gets at
most one push per type: "3 new messages" / "From Bob, Ann and 1 more", in the language its
items were written in (with that language's plural forms). Its `data` is the
newest item's, plus `type`, `count` and `notificationIds`, so the app opens the right
screen and can mark every item it covers. Each item keeps its own row (the inbox lists
them all) and gets the digest's tickets.

A digest always fits MAX_PAYLOAD_BYTES (and so Apple's and Google's 4 KiB): what gives way
is the quoted body first (down to a line), then the oldest ids of the list, then the rest
of the body, then the newest item's own data; never the count.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, ngettext, override

from push.conf import push_settings
from push.models import NotificationLog
from push.payloads import at_delivery, build_payload, payload_size
from push.types import DEFAULT_DIGEST, Counting, type_of_row

logger = logging.getLogger(__name__)

# `data` key naming who an item is from (chat messages set it): the digest names them.
SENDER_KEY = "senderName"
# The digest names at most this many senders; the rest are "N more".
NAMES_SHOWN = 2
# notificationIds lists at most this many items (the newest): a push has 4 KiB in all.
IDS_LISTED = 100
# The quoted body is cut to this many characters before any id leaves the list.
BODY_KEPT = 80
ELLIPSIS = "…"
# Fields of the newest item's message that would be wrong for a digest.
_NOT_FOR_DIGESTS = ("subtitle", "collapseId", "tag", "ttl", "richContent")


@dataclass
class Digest:
    """A user's released notifications of one type, newest first, going out as one push."""

    members: list[NotificationLog]
    _payload: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def lead(self) -> NotificationLog:
        """The newest item: its data and Expo options are the digest's."""
        return self.members[0]

    def payload(self, badges: dict[int, int], now: datetime) -> dict[str, Any]:
        """Return the digest's Expo fields (all but `to`), made once for all its devices."""
        if self._payload is None:
            lead = self.lead
            own = {k: v for k, v in lead.options.items() if k not in _NOT_FOR_DIGESTS}
            options = at_delivery(lead, own, badges, now)
            title, body = texts(self.members)
            ids = [str(m.pk) for m in self.members[:IDS_LISTED]]
            body, data = fit(lead, title, body, ids, len(self.members))
            self._payload = build_payload(lead.pk, title, body, data, options)
        return self._payload


def fit(
    lead: NotificationLog, title: str, body: str, ids: list[str], count: int
) -> tuple[str, dict[str, Any]]:
    """Return the body and data of a digest, cut to fit MAX_PAYLOAD_BYTES."""
    limit = push_settings.MAX_PAYLOAD_BYTES
    own = dict(lead.data or {})

    def data_with(listed: list[str], extra: dict[str, Any]) -> dict[str, Any]:
        return {**extra, "type": lead.type, "count": count, "notificationIds": listed}

    def size(text: str, listed: list[str], extra: dict[str, Any]) -> int:
        # As sent: build_payload adds the lead's notificationId to the data.
        data = {**data_with(listed, extra), "notificationId": str(lead.pk)}
        return payload_size(title, text, data)

    if size(body, ids, own) <= limit:
        return body, data_with(ids, own)
    body = _cut(body, lambda text: size(text, ids, own) <= limit, keep=BODY_KEPT)
    if size(body, ids, own) > limit:
        kept = _longest(len(ids), lambda n: size(body, ids[:n], own) <= limit)
        ids = ids[:kept]
    if size(body, ids, own) > limit:
        body = _cut(body, lambda text: size(text, ids, own) <= limit, keep=0)
    if size(body, ids, own) > limit:
        own = {}  # the newest item's own data is all that is left to give way
    return body, data_with(ids, own)


def _cut(text: str, fits, *, keep: int) -> str:
    """Return `text` cut (with an ellipsis) to the longest prefix that fits, not below `keep`."""
    if fits(text) or len(text) <= keep:
        return text
    length = _longest(len(text) - 1, lambda n: fits(text[:n] + ELLIPSIS))
    length = max(length, keep)
    return text[:length] + ELLIPSIS if length else ""


def _longest(most: int, fits) -> int:
    """Return the largest n in 0..most for which `fits(n)` holds (0 if none does)."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def texts(members: list[NotificationLog]) -> tuple[str, str]:
    """Return the title and body of a digest of `members` (newest first).

    "3 new messages" / "From Bob, Ann and 1 more" when the items name their senders; else
    the count and the newest item's text: "2 new reviews" / "Latest: Your product ...".
    Chat digests never quote a message: chat notifications never carry one. Written in the
    newest item's language.
    """
    lead = members[0]
    with override(lead.language or settings.LANGUAGE_CODE):
        # How the type counts its items (push.register_type's digest): "3 new messages".
        counting = type_of_row(lead.type).digest
        title = counted(counting, len(members))
        names = list(
            dict.fromkeys(
                name
                for member in members
                if isinstance(name := (member.data or {}).get(SENDER_KEY), str) and name
            )
        )
        if names:
            return title, gettext("From %(names)s") % {"names": join_names(names)}
        if not lead.body:
            return title, lead.title
        return title, gettext("Latest: %(body)s") % {"body": lead.body}


def counted(counting: Counting, count: int) -> str:
    """`count` items as the type counts them, in the active language: "3 new messages"."""
    if isinstance(counting, tuple):  # a pair of nouns (English plural rules)
        one, many = counting
        return f"{count} {many if count != 1 else one}"
    try:
        return counting % {"count": count}
    except (TypeError, KeyError, ValueError):
        # Not an ngettext_lazy(..., "count"): the digest still goes out, counted plainly.
        logger.warning("A digest counting %r takes no %%(count)d: counted plainly", counting)
        return DEFAULT_DIGEST % {"count": count}


def join_names(names: list[str]) -> str:
    """Return "Bob", "Bob and Ann", "Bob, Ann and 1 more", "Bob, Ann and 3 more"."""
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return gettext("%(first)s and %(second)s") % {"first": names[0], "second": names[1]}
    more = len(names) - NAMES_SHOWN
    return ngettext("%(names)s and %(count)d more", "%(names)s and %(count)d more", more) % {
        "names": ", ".join(names[:NAMES_SHOWN]),
        "count": more,
    }


def group_released(notifications: list[NotificationLog]) -> list[Digest]:
    """Return a digest for each user and type with two or more released notifications.

    Released notifications are the ones that were held (`held`); one released alone goes
    out as itself.
    """
    groups: dict[tuple[int, str], list[NotificationLog]] = {}
    for notification in notifications:
        if notification.held:
            groups.setdefault((notification.user_id, notification.type), []).append(notification)
    return [
        Digest(sorted(members, key=lambda m: (m.created_at, m.pk), reverse=True))
        for members in groups.values()
        if len(members) > 1
    ]
