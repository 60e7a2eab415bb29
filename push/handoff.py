"""The outbox's hand-off: write pending rows now, deliver them after the commit.

Every way a notification is made (push.send, push.send_bulk, receivers, the admin's
"Deliver again") goes through here, and this is the only place that asks Django to run
delivery on commit. A rolled-back transaction or savepoint takes its rows and its hand-off
with it; whatever was committed and not delivered stays pending for a worker.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from push import languages
from push.conf import BACKGROUND, INLINE, push_settings
from push.delivery import background
from push.delivery.claims import new_lease
from push.delivery.engine import DeliveryReport, deliver, deliver_ids
from push.errors import NEVER_SENDABLE
from push.models import NotificationLog, NotificationStatus
from push.notification import Notification
from push.querysets import error_code_q

logger = logging.getLogger(__name__)

# A delivery mode that overrides the DELIVERY setting in this thread or task (see below).
_mode_override: ContextVar[str | None] = ContextVar("push_delivery_mode", default=None)


def in_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the caller has a transaction open, so delivery must wait for its commit.

    A test case's own transaction (Django's TestCase, pytest-django's `db`) is not one: it
    never commits, and each save in it stands for one that would have committed by itself,
    as Django's durable atomic blocks see it too.
    """
    return any(not block._from_testcase for block in connections[using].atomic_blocks)


def delivery_mode() -> str:
    """Return the delivery mode in force here: the override, or the DELIVERY setting."""
    return _mode_override.get() or push_settings.DELIVERY


@contextmanager
def inline_delivery() -> Iterator[None]:
    """Deliver in this thread, before returning, whatever the DELIVERY setting says.

    For callers that report the outcome to a person (`push_send`, the test endpoint): the
    row they get back is delivered, or pending with the reason and its next attempt.
    """
    token = _mode_override.set(INLINE)
    try:
        yield
    finally:
        _mode_override.reset(token)


def add(notification: Notification, using: str = DEFAULT_DB_ALIAS) -> NotificationLog:
    """Write `notification` as a row and deliver it after the commit; return the row.

    Outside a transaction, delivery happens now (inline: the row comes back updated) or is
    queued (background, celery: the row comes back pending).
    """
    now = not in_transaction(using) and delivery_mode() == INLINE
    user_id = notification.recipient_id()
    row = notification.row(user_id, recipient_languages(notification, using)[user_id])
    if now and row.status == NotificationStatus.PENDING:
        # Delivered now: born claimed, so no due-poll (a background thread, a worker) takes
        # it between the INSERT and our own claim.
        for name, value in new_lease().items():
            setattr(row, name, value)
    row, created = write(row, using)
    if created and row.status == NotificationStatus.PENDING:
        if now:
            hand_off([row], [], claimed=True)
        else:
            deliver_after_commit(rows=[row], using=using)
    return row


def recipient_languages(notification: Notification, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Return the language of each recipient of `notification`, by id (at most one query).

    Recipients given as ids are checked to exist, in that same query: ValueError names
    those that do not, before anything is written.
    """
    if notification.recipient_loaded:
        return languages.of_users(notification.recipients(), using)
    return existing_recipients(notification.recipient_ids(), using)


def existing_recipients(user_ids: list[Any], using: str = DEFAULT_DB_ALIAS) -> dict[Any, str]:
    """Return the language of each of `user_ids`, or raise ValueError naming those that
    name no user; write nothing.

    Before any row is written: a row for a user that does not exist would fail the
    caller's commit (foreign keys are checked then), taking the caller's own work with it.
    One query per BATCH_SIZE ids.
    """
    size = push_settings.BATCH_SIZE
    wanted = list(dict.fromkeys(user_ids))
    found: dict[Any, str] = {}
    for start in range(0, len(wanted), size):
        found.update(languages.languages_of(wanted[start : start + size], using))
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        shown = ", ".join(str(pk) for pk in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise ValueError(f"No user with id {shown}{more}: nothing was sent.")
    return found


def write(row: NotificationLog, using: str = DEFAULT_DB_ALIAS) -> tuple[NotificationLog, bool]:
    """Insert `row`; return it and True, or, if its key is taken, the existing row and False.

    The row is inserted inside a savepoint, so whatever the database says the caller's
    transaction stays usable. For a keyed row, the unique constraint on (user, key) makes a
    concurrent repeat wait for the first transaction, then fail here, and the first one's
    row (committed by then) is returned.
    """
    try:
        with transaction.atomic(using=using):
            row.save(using=using)
    except IntegrityError:
        if not row.key:
            raise
        existing = (
            NotificationLog.objects.using(using).filter(user_id=row.user_id, key=row.key).first()
        )
        if existing is None:
            raise  # another constraint
        return existing, False
    return row, True


def add_many(
    notification: Notification,
    recipients: Iterator[tuple[Any, str]],
    *,
    on_chunk: Callable[[DeliveryReport], None] | None = None,
) -> dict[str, Any]:
    """Write one row per user, chunk by chunk, and deliver them; return the run's summary.

    `recipients` are (user id, language) pairs (push.languages.stream, existing_recipients).
    Outside a transaction and in inline mode the rows are born claimed by this process and
    delivered chunk by chunk as they are written; otherwise they are handed off (after the
    commit, if in a transaction) and the summary counts them pending. A notification too
    large for Apple and Google raises ValueError before anything is written. `on_chunk`
    hears each chunk's report (delivered, or written and pending): a command's progress.
    """
    if notification.too_large:
        raise ValueError(notification.row_fields()["error_message"])
    if in_transaction() or delivery_mode() != INLINE:
        ids = _written_ids(_written_in_chunks(notification, recipients), on_chunk)
        deliver_after_commit(ids=ids)
        return DeliveryReport(total=len(ids), pending=len(ids)).as_dict()
    chunks = _written_in_chunks(notification, recipients, claimed=True)
    return deliver(chunks, claimed=True, on_chunk=on_chunk).as_dict()


def schedule_many(
    notification: Notification,
    recipients: Iterator[tuple[Any, str]],
    at: datetime,
    *,
    on_chunk: Callable[[DeliveryReport], None] | None = None,
) -> dict[str, Any]:
    """Write one pending row per user, due at `at`; return the summary (all pending).

    Nothing is handed off: the outbox's due scan (`push_deliver`, Celery beat's
    push.deliver_due) delivers them once `at` has come. The rows count as made at `at`
    (`created_at`): their retries last RETRY_FOR_SECONDS from then and the overview counts
    them then. The inbox lists them from `at` on.
    """
    if notification.too_large:
        raise ValueError(notification.row_fields()["error_message"])
    chunks = _written_in_chunks(notification, recipients, due_at=at)
    ids = _written_ids(chunks, on_chunk)
    return DeliveryReport(total=len(ids), pending=len(ids)).as_dict()


def _written_ids(
    chunks: Iterator[list[NotificationLog]], on_chunk: Callable[[DeliveryReport], None] | None
) -> list[int]:
    ids: list[int] = []
    for chunk in chunks:
        ids.extend(row.pk for row in chunk)
        if on_chunk is not None:
            on_chunk(DeliveryReport(total=len(chunk), pending=len(chunk)))
    return ids


def redeliver(ids: Iterable[int]) -> int:
    """Put these failed or pending notifications back in the outbox, due now; return how many.

    Only devices without an accepted ticket get them again (the attempts are kept: they
    tell delivery to look for the devices that accepted). Notifications that can never be
    sent (too large for Apple and Google: PayloadTooLarge, MessageTooBig) are left alone.
    """
    sendable = NotificationLog.objects.filter(
        pk__in=list(ids), status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]
    )
    for code in NEVER_SENDABLE:
        sendable = sendable.exclude(error_code_q(code))
    ids = list(sendable.values_list("pk", flat=True))
    NotificationLog.objects.filter(pk__in=ids).update(
        status=NotificationStatus.PENDING, next_attempt_at=None
    )
    deliver_after_commit(ids=ids)
    return len(ids)


def deliver_after_commit(
    *,
    rows: Iterable[NotificationLog] = (),
    ids: Iterable[int] = (),
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Hand these pending notifications to delivery once the current transaction commits.

    Outside a transaction they are handed off now. Loaded `rows` are delivered in place
    (the caller sees their outcome), `ids` are loaded by the claim.
    """
    if in_transaction(using):
        batch = transaction_batch(using)
        batch.rows.extend(rows)
        batch.ids.extend(ids)
    else:
        hand_off(list(rows), list(ids))


@dataclass
class TransactionBatch:
    """What one transaction wrote for delivery, handed off by one on-commit hook.

    `notes` is scratch space for writers that revise their own rows within the transaction
    (receivers keep their per-event rows there); it goes with the batch.
    """

    rows: list[NotificationLog] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    notes: dict[Any, Any] = field(default_factory=dict)
    handed_off: bool = False

    def hand_off(self) -> None:
        self.handed_off = True
        hand_off(self.rows, self.ids)


def transaction_batch(using: str = DEFAULT_DB_ALIAS) -> TransactionBatch:
    """Return the open transaction's batch, starting afresh after a commit or a rollback."""
    batch = _open_batch(using)
    if batch is None:
        batch = TransactionBatch()
        connections[using]._push_transaction_batch = batch
        # robust: a failing hand-off is logged and never breaks the caller's other hooks.
        transaction.on_commit(batch.hand_off, using=using, robust=True)
    return batch


def queued_in_transaction(using: str = DEFAULT_DB_ALIAS) -> set[int]:
    """Return the ids the open transaction hands to delivery when it commits (none outside).

    E.g. the admin's "notification queued" message: what a save added to this set.
    """
    batch = _open_batch(using)
    if batch is None:
        return set()
    return {row.pk for row in batch.rows} | set(batch.ids)


def _open_batch(using: str) -> TransactionBatch | None:
    connection = connections[using]
    batch = getattr(connection, "_push_transaction_batch", None)
    # Our hook is still queued only while the transaction that queued it is open (a commit
    # runs it; a rollback of its transaction or savepoint discards it).
    if (
        batch is None
        or batch.handed_off
        or not any(hook[1] == batch.hand_off for hook in connection.run_on_commit)
    ):
        return None
    return batch


def hand_off(rows: list[NotificationLog], ids: list[int], *, claimed: bool = False) -> None:
    """Deliver committed pending notifications as the DELIVERY setting says.

    background: queued for this process's delivery thread (push.delivery.background), which
    also retries what is due. inline: in this thread, now, within
    SYNC_DELIVERY_BUDGET_SECONDS (`claimed` rows are this process's already). celery: as
    tasks for the workers, retried by beat's periodic task. Never raises: this runs after
    the caller's commit (or inside its send), where an exception would break what the
    caller does next. Whatever fails is logged and stays pending for a retry.
    """
    if not rows and not ids:
        return
    try:
        mode = delivery_mode()
        if mode == BACKGROUND:
            background.hand_off([row.pk for row in rows] + list(ids))
        elif mode == INLINE:
            deadline = time.monotonic() + push_settings.SYNC_DELIVERY_BUDGET_SECONDS
            size = push_settings.BATCH_SIZE
            if rows:
                chunks = (rows[start : start + size] for start in range(0, len(rows), size))
                deliver(chunks, claimed=claimed, deadline=deadline)
            if ids:
                deliver_ids(ids, deadline=deadline)
        else:
            from push.tasks import enqueue_delivery  # Celery is an optional extra

            enqueue_delivery([row.pk for row in rows] + list(ids))
    except Exception:
        logger.exception(
            "Handing %d notification(s) to delivery failed: they stay pending for a worker",
            len(rows) + len(ids),
        )


def _written_in_chunks(
    notification: Notification,
    recipients: Iterator[tuple[Any, str]],
    *,
    claimed: bool = False,
    due_at: datetime | None = None,
) -> Iterator[list[NotificationLog]]:
    """Write the rows chunk by chunk (one INSERT each); yield each chunk.

    `claimed` rows carry a lease taken as their chunk is made, so it covers their delivery.
    `due_at` dates rows written now for later (scheduled sends): due, and made, then.
    Keyed rows are inserted skipping users who already have the key, and only this chunk's
    new rows (told apart by their lease token) are yielded: one more query per chunk.
    """
    size = push_settings.BATCH_SIZE
    dated = {} if due_at is None else {"next_attempt_at": due_at, "created_at": due_at}
    while chunk := list(islice(recipients, size)):
        if not notification.key:
            lease = new_lease() if claimed else {}
            rows = [notification.row(pk, language, **lease, **dated) for pk, language in chunk]
            with transaction.atomic():  # a savepoint inside the caller's transaction
                written = NotificationLog.objects.bulk_create(rows)
            yield written
            continue
        # Unclaimed rows carry the token only as a mark: without locked_until anyone may
        # claim them.
        lease = new_lease() if claimed else {**new_lease(), "locked_until": None}
        rows = [
            notification.row(pk, language, **lease, **dated) for pk, language in dict(chunk).items()
        ]
        with transaction.atomic():
            NotificationLog.objects.bulk_create(rows, ignore_conflicts=True)
            written = list(
                NotificationLog.objects.filter(lease_token=lease["lease_token"]).order_by("pk")
            )
        yield written
