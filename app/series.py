"""Rollup rows -> bucketed series and summaries. Pure.

Every number out of here is finite, whatever finite numbers went in: sums of huge values
(2 x 1.7e308) are carried scaled by 2**-64 (exact: a power of two), so a bucket's mean stays
right; a sum truly beyond the float range reads as +-MAX_FLOAT (the nearest float there is), and
a stored infinity (a sum that overflowed before sums were bounded) reads as one too. JSON has no
Infinity, and graphs need finite numbers to lay out an axis.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

MAX_FLOAT = sys.float_info.max
_BIG = 2.0 ** 64


def finite(x: float) -> float:
    """x, with +-inf brought to +-MAX_FLOAT and NaN (inf - inf) to 0."""
    if x - x == 0:
        return x
    return 0.0 if x != x else math.copysign(MAX_FLOAT, x)


class Bucket(NamedTuple):
    """One bucket of a series. A named tuple, not a frozen dataclass: as immutable, and built 5x
    faster (a frozen dataclass sets each field through object.__setattr__), which was half the
    export API's reading of an hour of minutes (bench/README.md, 2026-12-03)."""

    time: int
    total: float      # the sum (+-MAX_FLOAT past the float range)
    n: int
    lo: float | None
    hi: float | None
    mean: float | None = None   # set when the sum overflowed: the exact mean, which total / n is not

    def value(self, kind: str) -> float | None:
        """Counters: the sum. Values: sum / number of data points; None when the bucket is empty."""
        if kind == "counter":
            return self.total
        if not self.n:
            return None
        return self.mean if self.mean is not None else self.total / self.n


def bucketize(rows: list[tuple], starts: list[int], ends: list[int], step: int | None = None) -> list[Bucket]:
    """rows: (ts, total, n, lo, hi) at a resolution that tiles the buckets, sorted by ts.
    step: the rows' resolution, for rows as stored (one per step). When every bucket is one step
    (an hour at 1 minute), a row's bucket is found by arithmetic and holds that row alone: no
    bisection and no sum (half the export API's poll, which reads such a timeframe). Contiguous
    buckets, each at least a step long, that span step times their number are each one step."""
    if step is not None and rows and ends[-1] - starts[0] == step * len(starts):
        one_each = _one_row_each(rows, starts, step)
        if one_each is not None:
            return one_each
    acc = [[0.0, 0, None, None, None] for _ in starts]   # total, n, lo, hi, total * 2**-64 once it overflows
    for ts, total, n, lo, hi in rows:
        i = bisect_right(starts, ts) - 1
        if i < 0 or ts >= ends[i]:
            continue
        a = acc[i]
        total = float(total)
        if total - total != 0:   # a stored inf/NaN
            total = finite(total)
        if a[4] is not None:
            a[4] += total / _BIG
        else:
            s = a[0] + total
            if s - s == 0:
                a[0] = s
            else:                # the sum left the float range: carry it scaled from here on
                a[4] = a[0] / _BIG + total / _BIG
        a[1] += n
        a[2] = lo if a[2] is None else min(a[2], lo)
        a[3] = hi if a[3] is None else max(a[3], hi)
    return [Bucket(t, a[0], a[1], a[2], a[3]) if a[4] is None else
            Bucket(t, finite(a[4] * _BIG), a[1], a[2], a[3], mean=finite(a[4] / a[1] * _BIG))
            for t, a in zip(starts, acc, strict=True)]


def _one_row_each(rows: list[tuple], starts: list[int], step: int) -> list[Bucket] | None:
    """bucketize where bucket i is [starts[0] + i * step, + step): a row's bucket is found by
    arithmetic. None if two rows meet in one bucket (rows on a grid the buckets are not on, where
    a zone's offset moved by half an hour): those are summed the general way."""
    first, out = starts[0], [None] * len(starts)
    for ts, total, n, lo, hi in rows:
        i = (ts - first) // step
        if 0 <= i < len(out):
            if out[i] is not None:
                return None
            total = 0.0 + float(total)  # as bucketize's sum from 0.0 (no -0.0)
            out[i] = Bucket(starts[i], total if total - total == 0 else finite(total), n, lo, hi)
    return [b if b is not None else Bucket(t, 0.0, 0, None, None) for t, b in zip(starts, out, strict=True)]


def from_groups(groups: list[tuple], starts: list[int]) -> list[Bucket]:
    """Buckets from rows the database summed per bucket (storage.points.read_rollup_groups): group k is
    bucket k of starts. A group whose plain sum may have left the float range (its largest row times
    its row count is past 1e300) is read from the sum scaled by 2**-64 instead."""
    out = [Bucket(t, 0.0, 0, None, None) for t in starts]
    for k, total, scaled, n, lo, hi, biggest, rows in groups:
        if not 0 <= k < len(starts) or not n:
            continue
        if float(biggest) * rows <= 1e300:
            out[k] = Bucket(starts[k], finite(float(total)), n, float(lo), float(hi))
        else:
            scaled = float(scaled)
            out[k] = Bucket(starts[k], finite(scaled * _BIG), n, float(lo), float(hi),
                            mean=finite(scaled / n * _BIG))
    return out


def _sum(xs: list[float]) -> float:
    """The sum of finite numbers, +-MAX_FLOAT past the float range."""
    s = sum(xs)
    return s if s - s == 0 else finite(sum(x / _BIG for x in xs) * _BIG)


def _mean(xs: list[float]) -> float:
    s = sum(xs)
    # The divided terms can still round a hair past the largest float: finite() brings that back.
    return s / len(xs) if s - s == 0 else finite(sum(x / len(xs) for x in xs))


def _stddev(xs: list[float], m: float) -> float:
    """Sample standard deviation, worked in units of a power of two near the largest value (exact
    scaling), so squares neither overflow (1.7e308 ** 2) nor vanish (1e-200 ** 2)."""
    e = math.frexp(max(abs(x) for x in xs) or 1.0)[1]   # 2**e can be 2**1024: only ever scale by halves of it
    var = sum((math.ldexp(x, -e) - math.ldexp(m, -e)) ** 2 for x in xs) / (len(xs) - 1)
    return finite(math.sqrt(var) * 2.0 ** (e - 1) * 2.0)


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
        total = _sum(per_bucket)
        mean = _mean(per_bucket)
        lo, hi = min(per_bucket), max(per_bucket)
    else:
        total = None
        s = sum(b.total for b in filled)
        if s - s == 0 and all(b.mean is None for b in filled):
            mean = s / count
        else:   # weights of at most 1: a weighted mean of finite means cannot overflow
            mean = finite(sum(v * (b.n / count) for v, b in zip(per_bucket, filled, strict=True)))
        lo = min(b.lo for b in filled)
        hi = max(b.hi for b in filled)
    stddev = None
    if len(per_bucket) > 1:
        stddev = _stddev(per_bucket, _mean(per_bucket))
    return Summary(total, mean, lo, hi, per_bucket[-1], stddev, count)
