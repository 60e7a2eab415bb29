"""quiet_hours_end: the wall-clock window math, across midnight and DST changes."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from push.preferences import quiet_hours_end

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = (time(22, 0), time(7, 0))
LUNCH = (time(12, 0), time(13, 30))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args, fold=0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


@pytest.mark.parametrize(
    ("now", "window", "expected"),
    [
        # A window within one day.
        (berlin(2024, 6, 10, 12, 0), LUNCH, berlin(2024, 6, 10, 13, 30)),
        (berlin(2024, 6, 10, 13, 29), LUNCH, berlin(2024, 6, 10, 13, 30)),
        (berlin(2024, 6, 10, 13, 30), LUNCH, None),  # the end is outside
        (berlin(2024, 6, 10, 11, 59), LUNCH, None),
        # Crossing midnight: before midnight it ends tomorrow, after midnight today.
        (berlin(2024, 6, 10, 22, 0), NIGHT, berlin(2024, 6, 11, 7, 0)),
        (berlin(2024, 6, 10, 23, 59), NIGHT, berlin(2024, 6, 11, 7, 0)),
        (berlin(2024, 6, 11, 0, 0), NIGHT, berlin(2024, 6, 11, 7, 0)),
        (berlin(2024, 6, 11, 6, 59), NIGHT, berlin(2024, 6, 11, 7, 0)),
        (berlin(2024, 6, 11, 7, 0), NIGHT, None),
        (berlin(2024, 6, 11, 21, 59), NIGHT, None),
        # New Year's Eve: the window ends in another month and year.
        (berlin(2024, 12, 31, 23, 0), NIGHT, berlin(2025, 1, 1, 7, 0)),
    ],
)
def test_window(now, window, expected):
    result = quiet_hours_end(now.astimezone(UTC), *window, BERLIN)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC


def test_the_window_is_in_the_users_zone_not_utc():
    # 21:30 UTC is 23:30 in Berlin in summer: quiet; in Tokyo it is 06:30: quiet too,
    # but the window ends at 07:00 Tokyo time, 22:00 UTC.
    now = utc(2024, 6, 10, 21, 30)
    assert quiet_hours_end(now, *NIGHT, BERLIN) == utc(2024, 6, 11, 5, 0)
    assert quiet_hours_end(now, *NIGHT, ZoneInfo("Asia/Tokyo")) == utc(2024, 6, 10, 22, 0)
    assert quiet_hours_end(now, *NIGHT, ZoneInfo("America/New_York")) is None  # 17:30


def test_spring_forward_night_is_an_hour_shorter_in_real_time():
    # 31 March 2024, Berlin: 02:00 CET becomes 03:00 CEST.
    start = berlin(2024, 3, 30, 23, 0)  # CET, UTC+1
    end = quiet_hours_end(start.astimezone(UTC), *NIGHT, BERLIN)
    assert end == berlin(2024, 3, 31, 7, 0)
    assert end == utc(2024, 3, 31, 5, 0)  # CEST, UTC+2
    assert end - start == timedelta(hours=7)  # 23:00 -> 07:00 on a 23-hour day


def test_fall_back_night_is_an_hour_longer_in_real_time():
    # 27 October 2024, Berlin: 03:00 CEST becomes 02:00 CET.
    start = berlin(2024, 10, 26, 23, 0)
    end = quiet_hours_end(start.astimezone(UTC), *NIGHT, BERLIN)
    assert end == utc(2024, 10, 27, 6, 0)
    assert end - start == timedelta(hours=9)


def test_during_the_skipped_hour_the_clock_reads_after_it():
    # 01:30 UTC on 31 March is 03:30 CEST: inside 02:00-04:00 and ending at 04:00 CEST.
    window = (time(2, 0), time(4, 0))
    assert quiet_hours_end(utc(2024, 3, 31, 1, 30), *window, BERLIN) == utc(2024, 3, 31, 2, 0)


def test_an_end_time_the_clocks_skip_keeps_the_windows_length():
    # 02:30 does not exist on 31 March in Berlin; 22:00 CET + 4.5 h = 03:30 CEST.
    window = (time(22, 0), time(2, 30))
    end = quiet_hours_end(utc(2024, 3, 30, 21, 0), *window, BERLIN)
    assert end == utc(2024, 3, 31, 1, 30)
    assert end.astimezone(BERLIN).strftime("%H:%M") == "03:30"


def test_an_end_time_that_happens_twice_ends_at_the_next_occurrence():
    # 02:30 happens twice on 27 October in Berlin: 00:30 UTC (CEST) and 01:30 UTC (CET).
    window = (time(1, 0), time(2, 30))
    assert quiet_hours_end(utc(2024, 10, 26, 23, 30), *window, BERLIN) == utc(2024, 10, 27, 0, 30)
    # 02:15 for the second time (CET, fold=1): still inside, the next 02:30 is 01:30 UTC.
    second_pass = berlin(2024, 10, 27, 2, 15, fold=1).astimezone(UTC)
    assert second_pass == utc(2024, 10, 27, 1, 15)
    assert quiet_hours_end(second_pass, *window, BERLIN) == utc(2024, 10, 27, 1, 30)


def test_equal_start_and_end_is_no_window():
    assert quiet_hours_end(utc(2024, 6, 10, 12, 0), time(8), time(8), BERLIN) is None


@given(
    now=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    start=st.times(),
    end=st.times(),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_the_end_is_always_ahead_and_within_a_day(now, start, end, zone):
    result = quiet_hours_end(
        now, start.replace(microsecond=0), end.replace(microsecond=0), ZoneInfo(zone)
    )
    if result is not None:
        assert now < result <= now + timedelta(hours=25)
