"""The public way to notify people: push.send() for one user, push.send_bulk() for many.

Both write NotificationLog rows first (inside the caller's transaction, if any) and deliver
them only after that transaction commits: a rolled-back order notifies nobody.
"""

import logging
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Model, QuerySet

from push.claims import new_lease
from push.conf import INLINE, push_settings
from push.delivery import DeliveryReport, deliver, deliver_ids
from push.messages import expo_options, payload_size
from push.models import NotificationLog, NotificationStatus, NotificationType
from push.outcomes import PAYLOAD_TOO_LARGE

logger = logging.getLogger(__name__)

UserRef = AbstractBaseUser | int


def send(
    user: UserRef,
    title: str,
    body: str,
    *,
    data: dict[str, Any] | None = None,
    type: str = NotificationType.SYSTEM,
    **options: Any,
) -> NotificationLog:
    """Notify every active device of `user`; return the notification's log row.

    Outside a transaction the row comes back delivered (or pending a retry); inside one it
    comes back pending and is delivered when the transaction commits. `options` are Expo
    message fields by keyword: subtitle, sound, badge, channel_id, ttl, priority, ...
    """
    template = notification_fields(title, body, data, type, options)
    notification = _new_notification(user_id_of(user), template)
    notification.save()
    if notification.status == NotificationStatus.PENDING:
        _deliver_after_commit(partial(_deliver_one, notification))
    return notification


def send_bulk(
    users: QuerySet | Iterable[UserRef],
    title: str,
    body: str,
    *,
    data: dict[str, Any] | None = None,
    type: str = NotificationType.SYSTEM,
    **options: Any,
) -> dict[str, Any]:
    """Send the same notification to many users (a queryset, users or ids); return a summary.

    The summary has the guide's keys (`total`, `successful`, `failed`) and `skipped`,
    `pending`, `devices`. Inside a transaction delivery waits for the commit, so everything
    is still `pending` in the summary.
    """
    template = notification_fields(title, body, data, type, options)
    user_ids = _user_ids(users)
    in_transaction = transaction.get_connection().in_atomic_block
    if in_transaction or push_settings.DELIVERY != INLINE:
        ids = [row.pk for chunk in _created_in_chunks(user_ids, template) for row in chunk]
        if in_transaction:
            _deliver_after_commit(partial(dispatch, ids))
        else:
            dispatch(ids)
        return DeliveryReport(total=len(ids), pending=len(ids)).as_dict()
    # Rows are born claimed by this process, then delivered chunk by chunk as they are made.
    chunks = _created_in_chunks(user_ids, template, claimed=True)
    return deliver(chunks, claimed=True).as_dict()


def notification_fields(
    title: str,
    body: str,
    data: dict[str, Any] | None,
    type: str,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Validate a notification's content; return the fields of its NotificationLog rows.

    Raises ValueError or TypeError for arguments no notification could be sent with.
    """
    if type not in NotificationType.values:
        raise ValueError(
            f"Unknown notification type {type!r}; use one of {NotificationType.values}."
        )
    if not isinstance(title, str) or not isinstance(body, str):
        raise TypeError("title and body must be strings.")
    if len(title) > NotificationLog._meta.get_field("title").max_length:
        raise ValueError("title is longer than 255 characters.")
    if data is not None and not isinstance(data, dict):
        raise TypeError("data must be a dict (the app reads it as a JSON object).")
    fields = expo_options(type, options)
    template = {
        "type": type,
        "title": title,
        "body": body,
        "data": data,
        "options": fields,
    }
    size = payload_size(title, body, data, fields.get("subtitle", ""))
    limit = push_settings.MAX_PAYLOAD_BYTES
    if size > limit:
        # Expo would accept it and Apple/Google refuse it later (MessageTooBig): fail now.
        template["status"] = NotificationStatus.FAILED
        template["in_inbox"] = False  # nothing to show the user either
        template["error_message"] = (
            f"{PAYLOAD_TOO_LARGE}: title, subtitle, body and data are {size} bytes; "
            f"the limit is {limit}."
        )
        logger.warning("Not sending a %s notification: payload of %d bytes", type, size)
    return template


def _new_notification(user_id: int, template: dict[str, Any]) -> NotificationLog:
    return NotificationLog(user_id=user_id, **template)


def _created_in_chunks(
    user_ids: Iterator[int], template: dict[str, Any], *, claimed: bool = False
) -> Iterator[list[NotificationLog]]:
    """Create the log rows chunk by chunk (one INSERT each); yield each chunk.

    `claimed` rows carry a lease taken as their chunk is made, so it covers their delivery.
    """
    size = push_settings.BATCH_SIZE
    while chunk := list(islice(user_ids, size)):
        fields = {**template, **new_lease()} if claimed else template
        rows = [_new_notification(user_id, fields) for user_id in chunk]
        yield NotificationLog.objects.bulk_create(rows)


def user_id_of(user: UserRef) -> int:
    """Return the primary key of a user given as a model instance or as an id."""
    if isinstance(user, Model):
        return user.pk
    if isinstance(user, int) and not isinstance(user, bool):
        return user
    raise TypeError(f"Expected a user or a user id, got {user.__class__.__name__}.")


def _user_ids(users: QuerySet | Iterable[UserRef]) -> Iterator[int]:
    if isinstance(users, QuerySet):
        # Streams ids from the database: 100,000 users never sit in memory as objects.
        yield from users.values_list("pk", flat=True).order_by("pk").iterator(chunk_size=2000)
        return
    for user in users:
        yield user_id_of(user)


def dispatch(notification_ids: list[int]) -> None:
    """Hand committed pending notifications to delivery, as the DELIVERY setting says.

    inline: deliver them in this process now. celery: enqueue tasks for the workers.
    Whatever fails stays pending for `push_deliver` or the periodic task to retry.
    """
    if not notification_ids:
        return
    if push_settings.DELIVERY == INLINE:
        deliver_ids(notification_ids)
    else:
        from push.tasks import enqueue_delivery

        enqueue_delivery(notification_ids)


def _deliver_one(notification: NotificationLog) -> None:
    if push_settings.DELIVERY == INLINE:
        deliver([[notification]])  # updates the caller's instance in place
    else:
        dispatch([notification.pk])


def _deliver_after_commit(delivery: partial) -> None:
    # robust: a failing delivery is logged and never breaks the caller's save or other hooks.
    transaction.on_commit(delivery, robust=True)
