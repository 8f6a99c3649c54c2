"""Reading a stat's points back as aligned buckets: the one path for exports, graphs, alerts and
summaries."""

from __future__ import annotations

from app.rollups import DAY, MINUTE
from app.series import Bucket, bucketize, from_groups
from app.storage import points as pq
from app.timeframes import MAX_READ_ROWS, Timeframe, advance, align, bucket_ends, buckets

# Bucket edges of calendar timeframes cost a local-time sum each (1y @ 2 days: ~730 of them, more than
# reading the rows). They only change when now enters a new bucket, so they are kept, keyed by that.
_EDGES: dict[tuple, tuple[list[int], list[int]]] = {}
_EDGES_MAX = 1024


def _edges(tf: Timeframe, now: int, tz: str, start: int | None) -> tuple[list[int], list[int]]:
    last = align(now, tf.interval, tz)
    if start is None:
        window_start = advance(now, tf.duration, tz, -1)
        first = align(window_start, tf.interval, tz)
        key = (tf, tz, None, first, first == window_start, last)
    else:
        key = (tf, tz, start, last)
    hit = _EDGES.get(key)
    if hit is None:
        starts = buckets(tf, now, tz, start)
        hit = (starts, bucket_ends(starts, tf, tz))
        if len(_EDGES) >= _EDGES_MAX:
            _EDGES.clear()
        _EDGES[key] = hit
    return hit


def stat_buckets(tx, stat: dict, tf: Timeframe, now: int, tz: str, start: int | None = None,
                 minute_rows: list[tuple] | None = None) -> list[Bucket]:
    """The stat's buckets over the timeframe (see timeframes.buckets), read at the coarsest
    resolution that tiles the interval. minute_rows: the stat's minute rows over minute_span(...)
    of the same arguments, when the caller has read them already."""
    starts, ends = _edges(tf, now, tz, start)
    if not starts:
        return []
    if minute_rows is not None:
        return bucketize(minute_rows, starts, ends, MINUTE)
    days = tf.fixed_days
    if days and (ends[-1] - starts[0]) // tf.resolution > MAX_READ_ROWS:
        return from_groups(_grouped(tx, stat["id"], starts, ends[-1], days * DAY), starts)
    return bucketize(pq.read_rollups(tx, stat["id"], tf.resolution, starts[0], ends[-1]), starts, ends, tf.resolution)


def minute_span(tf: Timeframe, now: int, tz: str, start: int | None = None) -> tuple[int, int] | None:
    """(start, end) of the minute rows stat_buckets reads for these arguments, or None when it reads
    no minute rows (a coarser resolution, or no buckets): what a caller may read ahead of it, in the
    same round trip as something else."""
    if tf.resolution != MINUTE:
        return None
    starts, ends = _edges(tf, now, tz, start)
    return (starts[0], ends[-1]) if starts else None


def _grouped(tx, stat_id: int, starts: list[int], end: int, width: int) -> list[tuple]:
    """Years of day rows, summed per bucket by the database. Buckets are whole local days, so a day row
    (at local midnight) lies within an hour or two (DST) of a multiple of the width from the first
    bucket: half a day of slack makes the integer division land in the right bucket. A zone that
    jumped by a day (Samoa, 2011) starts a new run of buckets, with its own origin."""
    out, first = [], 0
    for i in range(1, len(starts) + 1):
        if i < len(starts) and abs(starts[i] - starts[first] - (i - first) * width) < DAY // 4:
            continue
        run_end = starts[i] if i < len(starts) else end
        groups = pq.read_rollup_groups(tx, stat_id, DAY, starts[first], run_end, starts[first] - DAY // 2, width)
        out += [(k + first, *rest) for k, *rest in groups]
        first = i
    return out
