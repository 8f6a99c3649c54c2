"""Rollup rows -> bucketed series and summaries. Pure."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    time: int
    total: float
    n: int
    lo: float | None
    hi: float | None

    def value(self, kind: str) -> float | None:
        """Counters: the sum. Values: sum / number of data points; None when the bucket is empty."""
        if kind == "counter":
            return self.total
        return self.total / self.n if self.n else None


def bucketize(rows: list[tuple], starts: list[int], ends: list[int]) -> list[Bucket]:
    """rows: (ts, total, n, lo, hi) at a resolution that tiles the buckets, sorted by ts."""
    acc = [[0.0, 0, None, None] for _ in starts]
    for ts, total, n, lo, hi in rows:
        i = bisect_right(starts, ts) - 1
        if i < 0 or ts >= ends[i]:
            continue
        a = acc[i]
        a[0] += total
        a[1] += n
        a[2] = lo if a[2] is None else min(a[2], lo)
        a[3] = hi if a[3] is None else max(a[3], hi)
    return [Bucket(t, a[0], a[1], a[2], a[3]) for t, a in zip(starts, acc, strict=True)]


@dataclass(frozen=True)
class Summary:
    total: float | None
    mean: float | None
    min: float | None
    max: float | None
    last: float | None
    stddev: float | None
    count: int  # number of data points received

    def as_dict(self) -> dict:
        return dict(total=self.total, mean=self.mean, min=self.min, max=self.max, last=self.last,
                    stddev=self.stddev, count=self.count)


def summarize(buckets: list[Bucket], kind: str) -> Summary:
    """Counters: total is the sum; mean/min/max/stddev are over buckets with data (as StatHat's
    CLI did). Values: mean over all data points, min/max of the raw points, stddev over buckets."""
    filled = [b for b in buckets if b.n]
    count = sum(b.n for b in filled)
    if not filled:
        return Summary(0.0 if kind == "counter" else None, None, None, None, None, None, 0)
    per_bucket = [b.value(kind) for b in filled]
    if kind == "counter":
        total = sum(b.total for b in filled)
        mean = total / len(filled)
        lo, hi = min(per_bucket), max(per_bucket)
    else:
        total = None
        mean = sum(b.total for b in filled) / count
        lo = min(b.lo for b in filled)
        hi = max(b.hi for b in filled)
    stddev = None
    if len(per_bucket) > 1:
        m = sum(per_bucket) / len(per_bucket)
        stddev = math.sqrt(sum((v - m) ** 2 for v in per_bucket) / (len(per_bucket) - 1))
    return Summary(total, mean, lo, hi, per_bucket[-1], stddev, count)
