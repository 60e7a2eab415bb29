"""Where Celery's `autodiscover_tasks()` looks: the tasks live in push.delivery.tasks."""

from push.delivery.tasks import (  # noqa: F401  (registers them with Celery)
    check_receipts_task,
    deliver_due_notifications,
    deliver_notifications,
    prune_task,
)
