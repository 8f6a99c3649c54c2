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
_PART = re.compile(r"(\d+)([mhdwMy])")
# Bounds on one dataset: buckets answered and rollup rows read, however long the history.
MAX_BUCKETS = 10080
MAX_ROWS = 10080


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
    def resolution(self) -> int:
        """The coarsest stored resolution whose buckets tile one interval exactly."""
        if self.interval.calendar:
            return DAY
        if self.interval.seconds % HOUR == 0:
            return HOUR
        return MINUTE


def parse_span(text: str) -> Span:
    m = _PART.fullmatch(text or "")
    if not m or int(m.group(1)) <= 0:
        raise Invalid(f"invalid duration {text!r}: use a number and one of m h d w M y, e.g. 1w")
    return Span(int(m.group(1)), m.group(2))


def parse_timeframe(text: str) -> Timeframe:
    """'1w3h' = one week at three-hour intervals. A third part (StatHat's CLI) is ignored."""
    parts = _PART.findall(text or "")
    if len(parts) < 2 or "".join(n + u for n, u in parts) != text or any(int(n) <= 0 for n, _ in parts):
        raise Invalid(f"invalid timeframe {text!r}: use duration then interval, e.g. 1w3h")
    duration = Span(int(parts[0][0]), parts[0][1])
    interval = Span(int(parts[1][0]), parts[1][1])
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
    if out:
        rows = (advance(out[-1], tf.interval, tz) - out[0]) // tf.resolution
        if rows > MAX_ROWS:
            raise Invalid(f"timeframe {tf.code} reads too many rows; use a longer interval")
    return out


def bucket_ends(starts: list[int], tf: Timeframe, tz: str) -> list[int]:
    return [advance(b, tf.interval, tz) for b in starts]
