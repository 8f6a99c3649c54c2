"""Timeframe parsing and bucket alignment, including time zones and DST."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.errors import Invalid
from app.timeframes import advance, align, buckets, parse_span, parse_timeframe

NOW = 1795534200  # Tue 2026-11-24 15:30 UTC


@pytest.mark.parametrize("code, label, res", [
    ("1w3h", "1 week @ 3 hours", 3600), ("1M1d", "1 month @ 1 day", 86400), ("4h5m", "4 hours @ 5 minutes", 60),
    ("30m1m", "30 minutes @ 1 minute", 60), ("1y1w", "1 year @ 1 week", 86400), ("2M1d", "2 months @ 1 day", 86400),
])
def test_parse_and_label(code, label, res):
    tf = parse_timeframe(code)
    assert tf.label == label and tf.code == code and tf.resolution == res


@pytest.mark.parametrize("bad", ["", "1w", "w3h", "0w1h", "1x1h", "1w 3h", "1h1d"])
def test_bad_timeframes(bad):
    with pytest.raises(Invalid):
        parse_timeframe(bad)


def test_statHats_three_part_timeframe_keeps_duration_and_interval():
    assert parse_timeframe("1d15m1w").label == "1 day @ 15 minutes"


def test_one_week_at_three_hours_has_56_buckets_ending_with_the_current_one():
    b = buckets(parse_timeframe("1w3h"), NOW)
    assert len(b) == 56
    assert b[-1] == NOW - NOW % 10800 and b[-1] <= NOW
    assert all(x % 10800 == 0 for x in b)


def test_days_align_to_local_midnight_across_dst():
    tz = "America/New_York"
    # DST ended on 2026-11-01: days before it are 23 or 25 hours long in UTC terms.
    b = buckets(parse_timeframe("1M1d"), NOW, tz)
    for start in b:
        local = datetime.fromtimestamp(start, ZoneInfo(tz))
        assert (local.hour, local.minute) == (0, 0)
    # A calendar month back from Tue 24 Nov 10:30 local is 24 Oct 10:30: whole days 25 Oct .. 24 Nov.
    assert len(b) == 31
    assert datetime.fromtimestamp(b[0], ZoneInfo(tz)).strftime("%m-%d") == "10-25"


def test_weeks_start_on_monday_and_months_on_the_first():
    w = align(NOW, parse_span("1w"), "Europe/Berlin")
    assert datetime.fromtimestamp(w, ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") == "Mon 00:00"
    m = align(NOW, parse_span("1M"), "Asia/Tokyo")
    assert datetime.fromtimestamp(m, ZoneInfo("Asia/Tokyo")).strftime("%d %H:%M") == "01 00:00"


def test_advance_by_a_calendar_month_keeps_the_local_date():
    tz = "UTC"
    jan31 = int(datetime(2026, 1, 31, tzinfo=ZoneInfo(tz)).timestamp())
    feb = datetime.fromtimestamp(advance(jan31, parse_span("1M"), tz), ZoneInfo(tz))
    assert (feb.month, feb.day) == (2, 28)


def test_start_pins_the_first_bucket_and_never_runs_past_now():
    tf = parse_timeframe("1d1h")
    b = buckets(tf, NOW, "UTC", start=NOW - 3 * 3600 - 5)
    assert b[0] == NOW - NOW % 3600 - 3 * 3600  # 12:29:55 lies in the 12:00 bucket
    assert b[-1] <= NOW
