"""Which notifications a block of code wrote: `with notifications_written() as rows: ...`.

Used by the admin to say "notification queued" after a save whose receivers wrote a row.
Rows written by bulk_create (push.send_bulk) send no signal and are not seen.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import post_save
from django.dispatch import receiver

from push.models import NotificationLog

_written: ContextVar[list[NotificationLog] | None] = ContextVar("push_written", default=None)


@contextmanager
def notifications_written() -> Iterator[list[NotificationLog]]:
    """Collect the NotificationLog rows created in this thread during the block."""
    rows: list[NotificationLog] = []
    token = _written.set(rows)
    try:
        yield rows
    finally:
        _written.reset(token)


@receiver(post_save, sender=NotificationLog, dispatch_uid="push.capture.notifications_written")
def _collect(sender: type, instance: NotificationLog, created: bool = False, **kwargs) -> None:
    rows = _written.get()
    if rows is not None and created:
        rows.append(instance)
