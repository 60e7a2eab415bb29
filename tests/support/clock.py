"""A settable clock for Django's idea of now."""

from datetime import datetime, timedelta


class Clock:
    """Django's idea of now (`timezone.now()`), set by the test; monotonic time is untouched."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
