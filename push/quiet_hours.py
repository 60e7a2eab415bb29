"""Quiet hours: daily windows of wall-clock time in a user's time zone, DST included."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# A wall-clock time as HH:MM (24h), ASCII digits only (\d would take Arabic-Indic digits,
# which time.fromisoformat refuses): the API's rule, and its OpenAPI document's pattern.
WALL_TIME_PATTERN = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"


@dataclass(frozen=True)
class QuietHours:
    """A daily window of wall-clock times in a time zone; `start > end` crosses midnight."""

    start: time
    end: time
    timezone: str

    def as_dict(self) -> dict[str, str]:
        """Return the API's shape: `{"start": "22:00", "end": "07:00", "timezone": ...}`."""
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "timezone": self.timezone,
        }


def quiet_hours_end(now: datetime, start: time, end: time, zone: tzinfo) -> datetime | None:
    """Return when the quiet window around `now` ends (in UTC), or None if `now` is outside it.

    `start` and `end` are wall-clock times in `zone`; the window is `[start, end)`, and
    crosses midnight when `start > end`. An end time that a DST change skips keeps the
    window's length (02:30 on the night clocks go forward ends at 03:30); one that happens
    twice ends at its first occurrence still ahead of `now`.
    """
    if start == end:
        return None
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    end_date: date
    if start < end:
        if not start <= wall < end:
            return None
        end_date = local.date()
    elif wall >= start:
        end_date = local.date() + timedelta(days=1)
    elif wall < end:
        end_date = local.date()
    else:
        return None
    now_utc = now.astimezone(UTC)
    for fold in (0, 1):
        candidate = datetime.combine(end_date, end, tzinfo=zone).replace(fold=fold)
        candidate_utc = candidate.astimezone(UTC)
        if candidate_utc > now_utc:
            return candidate_utc
    return None


@lru_cache(maxsize=1)
def timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str) -> tzinfo:
    """Return the zone named `name`; a name the system no longer knows falls back to UTC."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
