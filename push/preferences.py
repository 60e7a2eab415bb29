"""What each user wants to receive, applied to a chunk of notifications before sending."""

from dataclasses import dataclass, field
from datetime import datetime

from push.models import NotificationLog


@dataclass
class Screening:
    """A chunk's notifications that must not go out now."""

    skipped: dict[int, str] = field(default_factory=dict)  # pk -> why it is never sent
    held: dict[int, datetime] = field(default_factory=dict)  # pk -> not before


def screen(notifications: list[NotificationLog], now: datetime) -> Screening:
    """Return which notifications to skip or hold; everything is sent until preferences exist."""
    return Screening()
