from django.conf import settings
from django.db import models
from model_utils import FieldTracker


class Event(models.Model):
    """Something happening on campus, organised by a member."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        CANCELLED = "cancelled", "Cancelled"

    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)

    tracker = FieldTracker(fields=["status"])

    def __str__(self) -> str:
        return self.title
