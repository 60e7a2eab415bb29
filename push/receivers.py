"""Declaring "when this happens, tell them that" for any model, in that model's app.

    # orders/notifications.py
    from push import Notification, on_change, on_created

    @on_created("orders.Order")
    def new_order(order) -> Notification:
        return Notification(to=order.product.seller, title="New Order!", body="...", type="order")

    @on_change("orders.Order", "status", to=["shipped"])
    def order_shipped(order, change) -> Notification: ...

The push app imports every installed app's `notifications` module at start-up and connects
one `post_save` receiver per declaration (string model reference, stable dispatch_uid).

How an event becomes exactly one notification
---------------------------------------------
Everything is decided inside `post_save`, while the tracker still holds the old value and
before the transaction commits, and written as a pending NotificationLog row in the same
transaction (so a rollback, or a rolled-back savepoint, takes the row with it). The outbox
(push/handoff.py) hands it to delivery after the commit: nothing reaches Expo before, and a
failing notification never breaks the save.

* Creation is what `created` says; `raw` saves (fixtures) notify nobody; a save whose
  `update_fields` leaves out the watched field changes nothing.
* A change is confirmed against the database: before the save, the committed value is read
  (locked with SELECT ... FOR UPDATE inside a transaction). A stale copy of a row
  re-reporting a value the database already has is no change, and two transactions racing
  to the same value notify once.
* Within one transaction, each (declaration, object) owns at most one pending row. A later
  change of the same field rewrites that row with the final value, and a change back to the
  value the transaction started from deletes it: processing then shipped in one transaction
  sends "shipped" once; pending, processing, pending sends nothing. A separate transaction
  starts afresh, so a genuine repeat (shipped, processing, shipped across transactions)
  notifies each time, unless the receiver's Notification has a `key`: then a user hears
  about that key once, ever.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Model
from django.db.models.signals import post_save, pre_save
from django.utils.module_loading import autodiscover_modules
from model_utils import FieldTracker

from push import handoff
from push.conf import RAISE, push_settings
from push.models import NotificationLog, NotificationStatus
from push.notification import Notification

logger = logging.getLogger(__name__)

NOTIFICATIONS_MODULE = "notifications"


@dataclass(frozen=True)
class Change:
    """A tracked field's change, captured in post_save: `old` is None for a new row."""

    field: str
    old: Any
    new: Any
    created: bool


Builder = Callable[..., Notification | None]


@dataclass(frozen=True)
class Declaration:
    """One row of the table: a model event and the function that builds its notification."""

    model: str
    builder: Builder
    field: str | None = None
    values: frozenset | None = None
    # `to=` as given, when it is no collection of values (a string, say): check push.E014.
    malformed_to: Any = None

    @property
    def name(self) -> str:
        return f"{self.builder.__module__}.{self.builder.__qualname__}"

    @property
    def dispatch_uid(self) -> str:
        return f"push:{self.name}"

    def watches(self, value: Any) -> bool:
        return self.values is None or value in self.values


_declarations: dict[str, Declaration] = {}


def on_created(model: str) -> Callable[[Builder], Builder]:
    """Declare `builder(instance)` to run when a row of `model` ("app_label.Model") is created."""

    def register(builder: Builder) -> Builder:
        _declare(Declaration(model=model, builder=builder))
        return builder

    return register


def on_change(
    model: str, field_name: str, *, to: Iterable[Any] | None = None
) -> Callable[[Builder], Builder]:
    """Declare `builder(instance, change)` to run when `field_name` changes (to one of `to`).

    The field must be tracked by a django-model-utils FieldTracker (system check push.E002).
    A row created with a watched value counts as a change to that value.
    """

    def register(builder: Builder) -> Builder:
        malformed = isinstance(to, str | bytes) or (to is not None and not isinstance(to, Iterable))
        values = None if to is None else frozenset() if malformed else frozenset(to)
        _declare(
            Declaration(
                model=model,
                builder=builder,
                field=field_name,
                values=values,
                malformed_to=to if malformed else None,
            )
        )
        return builder

    return register


def declarations() -> list[Declaration]:
    """Return every declaration made so far."""
    return list(_declarations.values())


def forget(builder: Builder) -> None:
    """Remove the declaration of `builder` and disconnect its receivers (tests, plugins)."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    declaration = _declarations.pop(name, None)
    if declaration is not None:
        disconnect(declaration)


def disconnect(declaration: "Declaration") -> None:
    """Disconnect the receivers of `declaration` (none were connected for an unknown model)."""
    try:
        model = apps.get_model(declaration.model)
    except (LookupError, ValueError):
        return
    post_save.disconnect(sender=model, dispatch_uid=declaration.dispatch_uid)
    pre_save.disconnect(sender=model, dispatch_uid=declaration.dispatch_uid)


# Per thread and per asyncio task, so switching receivers off never silences other requests.
_disabled: ContextVar[bool] = ContextVar("push_receivers_disabled", default=False)


@contextmanager
def receivers_disabled() -> Iterator[None]:
    """Switch every push receiver off for the block (this thread or task only).

    For imports, data fixes and benchmarks: saves inside the block notify nobody and cost
    no extra statement.
    """
    token = _disabled.set(True)
    try:
        yield
    finally:
        _disabled.reset(token)


def _declare(declaration: Declaration) -> None:
    _declarations[declaration.name] = declaration
    if apps.ready:
        _connect(declaration)


def connect_all() -> None:
    """Import every app's notifications module and connect its declarations (app ready)."""
    autodiscover_modules(NOTIFICATIONS_MODULE)
    for declaration in _declarations.values():
        _connect(declaration)


def _connect(declaration: Declaration) -> None:
    # Connect to the model class, never to its "app_label.Model" string: a string that names
    # no model would stay a pending lazy operation, which Django's check reports as
    # signals.E001 about our internal receiver. An unknown model is push.E003's to report.
    try:
        model = apps.get_model(declaration.model)
    except (LookupError, ValueError):
        return
    post_save.connect(
        _post_save_receiver(declaration),
        sender=model,
        weak=False,
        dispatch_uid=declaration.dispatch_uid,
    )
    if declaration.field is not None:
        pre_save.connect(
            _pre_save_receiver(declaration),
            sender=model,
            weak=False,
            dispatch_uid=declaration.dispatch_uid,
        )


def trackers_of(model: type[Model]) -> Iterator[tuple[str, FieldTracker]]:
    """Yield (attribute name, FieldTracker) for each tracker `model` declares or inherits."""
    for klass in model.__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, FieldTracker):
                yield name, value


def tracker_for(model: type[Model], field_name: str) -> FieldTracker | None:
    """Return the FieldTracker of `model` that tracks `field_name`, if there is one."""
    return next((t for _, t in trackers_of(model) if field_name in t.fields), None)


# Instance attribute holding the committed values read in pre_save, by declaration (two
# declarations may watch one field; each reads and consumes its own).
_COMMITTED = "_push_committed_values"


def _pre_save_receiver(declaration: Declaration) -> Callable[..., None]:
    def confirm_against_database(sender, instance, raw=False, using=None, update_fields=None, **kw):
        if _disabled.get():
            return
        field_name = declaration.field
        committed_values = instance.__dict__.setdefault(_COMMITTED, {})
        committed_values.pop(declaration.name, None)  # a failed earlier save left nothing
        if raw or instance.pk is None or not _may_change(instance, field_name, update_fields):
            return
        # The tracker cannot see a change on an instance built with a preset primary key.
        if not instance._state.adding:
            tracker = tracker_for(type(instance), field_name)
            if tracker is None or not getattr(instance, tracker.name).has_changed(field_name):
                return
        rows = type(instance)._base_manager.using(using).filter(pk=instance.pk)
        connection = connections[using]
        if connection.in_atomic_block:
            # Serialises concurrent changes of this row until our transaction ends.
            if connection.features.has_select_for_update:
                rows = rows.select_for_update()
            else:
                # SQLite has no FOR UPDATE: take its write lock with a no-op write before
                # reading. A transaction that reads first and writes after deadlocks with
                # another doing the same (`database is locked`, at once) in its default
                # DEFERRED mode; one that writes first waits for the lock instead.
                primary_key = instance._meta.pk.name
                rows.update(**{primary_key: F(primary_key)})
        committed_values[declaration.name] = rows.values_list(field_name, flat=True).first()

    return confirm_against_database


def _post_save_receiver(declaration: Declaration) -> Callable[..., None]:
    def notify(sender, instance, created=False, raw=False, using=None, update_fields=None, **kw):
        if raw or _disabled.get():
            return
        using = using or DEFAULT_DB_ALIAS
        try:
            event = _event(declaration, instance, created, update_fields)
            if event is None:
                return
            # Inside the caller's transaction the rows go out when it commits, and a later
            # change in it revises them; a save outside one is its own transaction.
            batch = handoff.transaction_batch(using) if handoff.in_transaction(using) else None
            # A savepoint: a failing notification must not poison the business transaction.
            with transaction.atomic(using=using):
                written = _record(declaration, instance, event, using, batch)
            if batch is None:
                handoff.hand_off([], written)
        except Exception:
            if push_settings.RECEIVER_ERRORS == RAISE:
                raise  # tests and development: a broken receiver fails the save, loudly
            logger.exception("Notification %s failed for %s", declaration.name, _label(instance))

    return notify


def _may_change(instance: Model, field_name: str, update_fields: Iterable[str] | None) -> bool:
    if update_fields is None:
        return True
    attname = instance._meta.get_field(field_name).attname
    return field_name in update_fields or attname in update_fields


def _event(
    declaration: Declaration, instance: Model, created: bool, update_fields: Any
) -> Change | None:
    """Return the change this save makes to what `declaration` watches, or None."""
    if declaration.field is None:
        return Change(field="", old=None, new=None, created=True) if created else None
    field_name = declaration.field
    new = getattr(instance, field_name)
    if created:
        return Change(field_name, None, new, created=True) if declaration.watches(new) else None
    committed = instance.__dict__.get(_COMMITTED, {}).pop(declaration.name, _MISSING)
    if committed is _MISSING or not _may_change(instance, field_name, update_fields):
        return None  # pre_save saw no change (or could not: a save without the field)
    if committed == new:
        return None  # a stale copy re-reporting what the database already has
    return Change(field_name, committed, new, created=False)


_MISSING = object()


def _record(
    declaration: Declaration,
    instance: Model,
    change: Change,
    using: str,
    batch: handoff.TransactionBatch | None,
) -> list[int]:
    """Write, rewrite or withdraw this transaction's rows for (declaration, object).

    Returns the ids of the rows written anew. In a transaction (`batch`) they are handed to
    delivery when it commits; outside one, the caller hands them off.
    """
    notes = batch.notes if batch is not None else {}
    key = (declaration.name, instance.pk)
    # (this transaction's pending rows, the value the transaction began with)
    row_pks, started_from = notes.get(key, ((), change.old))
    notification = None
    if change.created or change.new != started_from:
        if declaration.field is None or declaration.watches(change.new):
            notification = _build(declaration, instance, change)
    # Earlier rows may have gone with a rolled-back savepoint: then they match nothing.
    earlier = NotificationLog.objects.using(using).filter(
        pk__in=row_pks, status=NotificationStatus.PENDING
    )
    if notification is None:
        if row_pks:
            earlier.delete()  # superseded: back where it started, or an unwatched value
        notes[key] = ((), started_from)
        return []
    recipients = notification.recipient_ids()
    spoken = handoff.recipient_languages(notification, using)
    if len(row_pks) == 1 and len(recipients) == 1 and not notification.key:
        # The usual revision (processing, then shipped): the same row, rewritten.
        fields = notification.row_fields(spoken[recipients[0]])
        if earlier.update(user_id=recipients[0], **fields):
            return []
    elif row_pks:
        earlier.delete()  # written anew: other recipients, or a key that may be taken
    written = []
    for recipient in recipients:
        row, created = handoff.write(notification.row(recipient, spoken[recipient]), using)
        if created:  # else the recipient was told about this key already
            written.append(row.pk)
    notes[key] = (tuple(written), started_from)
    if batch is not None and written:
        handoff.deliver_after_commit(ids=written, using=using)
    return written


def _build(declaration: Declaration, instance: Model, change: Change) -> Notification | None:
    if declaration.field is None:
        return declaration.builder(instance)
    return declaration.builder(instance, change)


def _label(instance: Model) -> str:
    return f"{instance._meta.label} {instance.pk}"
