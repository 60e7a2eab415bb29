"""The public way to notify people: push.send() for one user, push.send_bulk() for many.

Both build one Notification from their arguments and put it in the outbox (push.handoff):
rows are written first (inside the caller's transaction, if any) and delivered only after
that transaction commits, so a rolled-back order notifies nobody.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from push import handoff, languages
from push.models import NotificationLog
from push.notification import Notification
from push.texts import Text
from push.types import SYSTEM
from push.users import UserRef, user_id_of


def send(
    user: UserRef,
    title: Text,
    body: Text,
    *,
    data: dict[str, Any] | None = None,
    type: str = SYSTEM,
    key: str = "",
    **options: Any,
) -> NotificationLog:
    """Notify every active device of `user`; return the notification's log row.

    Outside a transaction the row comes back delivered (or pending a retry); inside one it
    comes back pending and is delivered when the transaction commits. `options` are Expo
    message fields by keyword: subtitle, sound, badge, channel_id, ttl, priority, ...
    `title` and `body` may be translatable (gettext_lazy, format_lazy): the row is written
    in the user's language (push.languages).

    With a `key`, a repeat (the same user and key, even from a concurrent transaction)
    writes and sends nothing and returns the existing row. A user id that names no user
    raises ValueError before anything is written (the caller's transaction is unharmed).
    """
    notification = Notification(user, title, body, data=data, type=type, options=options, key=key)
    return handoff.add(notification)


def send_bulk(
    users: QuerySet | Iterable[UserRef],
    title: Text,
    body: Text,
    *,
    data: dict[str, Any] | None = None,
    type: str = SYSTEM,
    key: str = "",
    **options: Any,
) -> dict[str, Any]:
    """Send the same notification to many users (a queryset, users or ids); return a summary.

    The summary has the guide's keys (`total`, `successful`, `failed`) and `skipped`,
    `pending`, `devices`. Inside a transaction delivery waits for the commit, so everything
    is still `pending` in the summary. With a `key`, users who already have a notification
    with that key are left out (and not counted). Users given as ids that name no user
    raise ValueError naming them, before anything is written: nobody is sent anything.
    Translatable texts are written in each user's language, once per language.
    """
    notification = Notification(None, title, body, data=data, type=type, options=options, key=key)
    if isinstance(users, QuerySet):
        # Streams ids (and languages) from the database: 100,000 users never sit in memory
        # as objects.
        return handoff.add_many(notification, languages.stream(users))
    listed = [user_id_of(user) for user in users]
    found = handoff.existing_recipients(listed)
    return handoff.add_many(notification, ((pk, found[pk]) for pk in listed))
