"""Notification preferences: per-type switches, quiet hours, and the hourly cap.

`screening` applies them to a chunk before sending; `changes` reads and saves them (the
API, and `manage.py shell`); `windows` is the quiet hours' time arithmetic.
"""

from push.preferences.changes import (
    InvalidPreferences,
    parse_changes,
    preferences_of,
    update_preferences,
)
from push.preferences.windows import QuietHours, quiet_hours_end

__all__ = [
    "InvalidPreferences",
    "QuietHours",
    "parse_changes",
    "preferences_of",
    "quiet_hours_end",
    "update_preferences",
]
