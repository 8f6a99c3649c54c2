"""Timeframes ("1w3h", "summary=7d", the UI's "1d") and their aligned buckets. Pure.

Buckets are aligned to whole intervals: minutes and hours in UTC, days and longer at the
account's local midnight (weeks start on Monday, months on the 1st, years on 1 January).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.errors import Invalid
from app.rollups import DAY, HOUR, MINUTE, zone

UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "M": 30 * 86400, "y": 365 * 86400}
UNIT_NAMES = {"m": "minute", "h": "hour", "d": "day", "w": "week", "M": "month", "y": "year"}
_PART = re.compile(r"([0-9]+)([mhdwMy])")   # ASCII digits: \d also matches other scripts' digits
# Bounds on one dataset: buckets answered and rollup rows read, however long the history.
MAX_BUCKETS = 10080
MAX_ROWS = 10080
# Above this many day rows, timeframes with day or week intervals have the database sum the rows
# per bucket (one index range scan), so at most one row per bucket comes back.
MAX_READ_ROWS = 2000
# A duration or interval is at most 100 years (StatHat's longest timeframe was all data), and a read
# starts between 1970 and 2100: beyond, the calendar arithmetic leaves what datetime can hold.
MAX_SPAN_SECONDS = 100 * 365 * 86400
MAX_START = 4102444800   # 2100-01-01 00:00 UTC


@dataclass(frozen=True)
class Span:
    n: int
    unit: str

    @property
    def seconds(self) -> int:
        return self.n * UNIT_SECONDS[self.unit]

    @property
    def calendar(self) -> bool:
        return self.unit in "dwMy"

    def label(self) -> str:
        name = UNIT_NAMES[self.unit]
        return f"{self.n} {name}{'' if self.n == 1 else 's'}"


@dataclass(frozen=True)
class Timeframe:
    duration: Span
    interval: Span

    @property
    def label(self) -> str:
        return f"{self.duration.label()} @ {self.interval.label()}"

    @property
    def code(self) -> str:
        return f"{self.duration.n}{self.duration.unit}{self.interval.n}{self.interval.unit}"

    @property
    def fixed_days(self) -> int | None:
        """Local days per bucket when every bucket is the same number of them (day and week intervals;
        months and years vary), so the database can group rows into buckets by arithmetic."""
        if self.interval.unit == "d":
            return self.interval.n
        return 7 * self.interval.n if self.interval.unit == "w" else None

    @property
    def resolution(self) -> int:
        """The coarsest stored resolution whose buckets tile one interval exactly."""
        if self.interval.calendar:
            return DAY
        if self.interval.seconds % HOUR == 0:
            return HOUR
        return MINUTE


def _span(n: str, unit: str, text: str, what: str = "timeframe") -> Span:
    # The length check first: int() of thousands of digits is slow, and past 4,300 a ValueError.
    if len(n) > 9 or int(n) <= 0 or int(n) * UNIT_SECONDS[unit] > MAX_SPAN_SECONDS:
        raise Invalid(f"invalid {what} {text[:40]!r}: a duration or interval is 1 minute to 100 years")
    return Span(int(n), unit)


def parse_span(text: str) -> Span:
    m = _PART.fullmatch(text or "")
    if not m:
        raise Invalid(f"invalid duration {text[:40]!r}: use a number and one of m h d w M y, e.g. 1w")
    return _span(m.group(1), m.group(2), text, "duration")


def parse_timeframe(text: str) -> Timeframe:
    """'1w3h' = one week at three-hour intervals. A third part (StatHat's CLI) is ignored."""
    parts = _PART.findall(text or "")
    if len(parts) < 2 or "".join(n + u for n, u in parts) != text:
        raise Invalid(f"invalid timeframe {(text or '')[:40]!r}: use duration then interval, e.g. 1w3h")
    duration = _span(*parts[0], text)
    interval = _span(*parts[1], text)
    if interval.seconds > duration.seconds:
        raise Invalid(f"invalid timeframe {text!r}: the interval is longer than the duration")
    return Timeframe(duration, interval)


def _local(ts: int, tz: str) -> datetime:
    return datetime.fromtimestamp(ts, UTC).astimezone(zone(tz))


def _at(d: datetime, tz: str) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=zone(tz)).timestamp())


def align(ts: int, span: Span, tz: str) -> int:
    """The start of the interval bucket holding ts."""
    if not span.calendar:
        step = span.seconds
        return ts - ts % step
    d = _local(ts, tz)
    if span.unit == "d":
        if span.n == 1:
            return _at(d, tz)
        # Multi-day buckets count whole days from 1970-01-01 local, so they are stable over time.
        ordinal = d.date().toordinal() - datetime(1970, 1, 1).toordinal()
        start = d.date() - timedelta(days=ordinal % span.n)
        return _at(start, tz)
    if span.unit == "w":
        monday = d.date() - timedelta(days=d.weekday())
        return _at(monday, tz)
    if span.unit == "M":
        months = d.year * 12 + d.month - 1
        months -= months % span.n
        return _at(datetime(months // 12, months % 12 + 1, 1), tz)
    year = d.year - d.year % span.n if span.n > 1 else d.year
    return _at(datetime(year, 1, 1), tz)


def advance(ts: int, span: Span, tz: str, k: int = 1) -> int:
    """ts moved forward (or back, for negative k) by k spans; calendar spans in local time."""
    if not span.calendar:
        return ts + k * span.seconds
    d = _local(ts, tz)
    if span.unit in "dw":
        days = span.n * (7 if span.unit == "w" else 1) * k
        target = d.date() + timedelta(days=days)
        # Keep the local wall-clock time across DST changes.
        naive = datetime.combine(target, d.time())
        return int(naive.replace(tzinfo=zone(tz)).timestamp())
    months = d.year * 12 + d.month - 1 + (span.n * (12 if span.unit == "y" else 1) * k)
    year, month = divmod(months, 12)
    day = min(d.day, _days_in_month(year, month + 1))
    naive = datetime(year, month + 1, day, d.hour, d.minute, d.second)
    return int(naive.replace(tzinfo=zone(tz)).timestamp())


def _days_in_month(year: int, month: int) -> int:
    nxt = datetime(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def buckets(tf: Timeframe, now: int, tz: str = "UTC", start: int | None = None) -> list[int]:
    """Bucket starts, oldest first. The window ends now and includes the current, partial bucket;
    with `start`, it begins at the bucket holding start and runs for the duration (not past now)."""
    if start is not None:
        first = align(start, tf.interval, tz)
        end = min(advance(start, tf.duration, tz), now + 1)
    else:
        window_start = advance(now, tf.duration, tz, -1)
        first = align(window_start, tf.interval, tz)
        if first < window_start:
            first = advance(first, tf.interval, tz)
        end = now + 1
    out = []
    b = first
    while b < end:
        out.append(b)
        if len(out) > MAX_BUCKETS:
            raise Invalid(f"timeframe {tf.code} has too many points; use a longer interval")
        b = advance(b, tf.interval, tz)
    if out and tf.fixed_days is None:   # day and week buckets are summed by the database instead
        rows = (advance(out[-1], tf.interval, tz) - out[0]) // tf.resolution
        if rows > MAX_ROWS:
            raise Invalid(f"timeframe {tf.code} reads too many rows; use a longer interval, or days or weeks"
                          f" (e.g. {tf.duration.n}{tf.duration.unit}4w)")
    return out


def bucket_ends(starts: list[int], tf: Timeframe, tz: str) -> list[int]:
    return [advance(b, tf.interval, tz) for b in starts]
