"""Reading a stat's points back as aligned buckets: the one path for exports, graphs, alerts and
summaries."""

from __future__ import annotations

from app.series import Bucket, bucketize
from app.storage import points as pq
from app.timeframes import Timeframe, advance, align, bucket_ends, buckets

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


def stat_buckets(tx, stat: dict, tf: Timeframe, now: int, tz: str, start: int | None = None) -> list[Bucket]:
    """The stat's buckets over the timeframe (see timeframes.buckets), read at the coarsest
    resolution that tiles the interval."""
    starts, ends = _edges(tf, now, tz, start)
    if not starts:
        return []
    return bucketize(pq.read_rollups(tx, stat["id"], tf.resolution, starts[0], ends[-1]), starts, ends)
