"""Bucket arithmetic for stored points. Pure: no database, no clock.

Every point lands in one bucket per resolution: the UTC minute, the UTC hour and the account's
local day. A bucket holds the sum, the number of data points, the min and the max, so counters
read the sum and values read sum / n, which stays exact however buckets are merged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTE = 60
HOUR = 3600
DAY = 86400
RESOLUTIONS = (MINUTE, HOUR, DAY)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def _local_day_start(quarter: int, tz: str) -> int:
    # Every UTC offset in use is a whole number of quarter-hours, so all instants in one UTC
    # quarter-hour share their local midnight: cache by quarter-hour.
    local = datetime.fromtimestamp(quarter * 900, UTC).astimezone(zone(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Re-resolve the offset at midnight itself (DST changes move it).
    midnight = datetime(midnight.year, midnight.month, midnight.day, tzinfo=zone(tz))
    return int(midnight.timestamp())


def local_day_start(ts: int, tz: str = "UTC") -> int:
    """The unix time of the local midnight that starts the day holding ts in zone tz."""
    if tz == "UTC":
        return ts - ts % DAY
    return _local_day_start(ts // 900, tz)


def bucket_start(ts: int, res: int, tz: str = "UTC") -> int:
    if res == DAY:
        return local_day_start(ts, tz)
    return ts - ts % res


class RollupBatch:
    """Rollup rows to add, merged by (stat, resolution, bucket) before they reach the database."""

    __slots__ = ("rows", "points")

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int, int], list[float]] = {}
        self.points = 0

    def add(self, stat_id: int, ts: int, value: float, tz: str = "UTC") -> None:
        self.points += 1
        rows = self.rows
        day = ts - ts % DAY if tz == "UTC" else _local_day_start(ts // 900, tz)
        # Unrolled over RESOLUTIONS: this is the hottest loop of bulk ingest.
        for key in ((stat_id, MINUTE, ts - ts % MINUTE), (stat_id, HOUR, ts - ts % HOUR), (stat_id, DAY, day)):
            row = rows.get(key)
            if row is None:
                rows[key] = [value, 1, value, value]
            else:
                row[0] += value
                row[1] += 1
                if value < row[2]:
                    row[2] = value
                if value > row[3]:
                    row[3] = value

    def merge(self, other: RollupBatch, *, adopt: bool = False) -> None:
        """adopt=True: `other` is never used again, so its rows are taken over, not copied."""
        self.points += other.points
        rows = self.rows
        for key, v in other.rows.items():
            row = rows.get(key)
            if row is None:
                rows[key] = v if adopt else list(v)
            else:
                row[0] += v[0]
                row[1] += v[1]
                if v[2] < row[2]:
                    row[2] = v[2]
                if v[3] > row[3]:
                    row[3] = v[3]

    def sorted_rows(self) -> list[tuple[int, int, int, float, int, float, float]]:
        # One global key order keeps concurrent writers from deadlocking each other in InnoDB.
        rows = self.rows
        return [(*key, *rows[key]) for key in sorted(rows)]

    def __len__(self) -> int:
        return len(self.rows)


class MinuteBatch(RollupBatch):
    """Only the minute rows: what ingest hands the writer, which adds the hour and day rows itself
    where the stat's watermark asks for them (see storage/points.py on folding)."""

    __slots__ = ()

    def add(self, stat_id: int, ts: int, value: float, tz: str = "UTC") -> None:
        self.points += 1
        accumulate(self.rows, (stat_id, MINUTE, ts - ts % MINUTE), value, 1, value, value)


def accumulate(rows: dict, key: tuple, total: float, n: int, lo: float, hi: float) -> None:
    """Add one (sum, count, min, max) row into rows[key]: what the database's upsert does, in memory."""
    row = rows.get(key)
    if row is None:
        rows[key] = [total, n, lo, hi]
    else:
        row[0] += total
        row[1] += n
        if lo < row[2]:
            row[2] = lo
        if hi > row[3]:
            row[3] = hi


def merge_row(a: tuple[float, int, float, float], b: tuple[float, int, float, float]):
    """What the database does on conflict: the same arithmetic, for tests and readers."""
    return (a[0] + b[0], a[1] + b[1], min(a[2], b[2]), max(a[3], b[3]))
