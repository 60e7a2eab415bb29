"""The Celery app: `celery -A unitrade worker` and `celery -A unitrade beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unitrade.settings")

app = Celery("unitrade")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
