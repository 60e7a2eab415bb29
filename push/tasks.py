"""Celery tasks (DELIVERY = "celery"): delivery off the web request, and periodic work.

Where Celery's `autodiscover_tasks()` finds them. Imported only when Celery is used (the
`[celery]` extra); the web process just enqueues ids after the commit.
"""

from celery import shared_task

from push.conf import push_settings
from push.delivery.engine import deliver_due, deliver_ids
from push.delivery.receipts import check_receipts
from push.retention import prune


@shared_task(name="push.deliver_notifications", ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict:
    """Deliver these notifications (claimed first: a duplicate task sends nothing twice)."""
    return deliver_ids(notification_ids).as_dict()


@shared_task(name="push.deliver_due", ignore_result=True)
def deliver_due_notifications() -> dict:
    """Deliver everything due: retries, held notifications, leftovers of dead processes."""
    return deliver_due().as_dict()


@shared_task(name="push.check_receipts", ignore_result=True)
def check_receipts_task() -> dict:
    """Fetch and act on Expo receipts (periodic)."""
    return check_receipts().as_dict()


@shared_task(name="push.prune", ignore_result=True)
def prune_task() -> dict:
    """Delete old notifications and retire stale tokens (daily, see push.retention)."""
    return prune().as_dict()


def enqueue_delivery(notification_ids: list[int]) -> None:
    """Queue delivery tasks of at most one batch of ids each."""
    size = push_settings.BATCH_SIZE
    for start in range(0, len(notification_ids), size):
        deliver_notifications.delay(notification_ids[start : start + size])
