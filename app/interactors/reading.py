"""Reading a stat's points back as aligned buckets: the one path for exports, graphs and summaries."""

from __future__ import annotations

from app.series import Bucket, bucketize
from app.storage import points as pq
from app.timeframes import Timeframe, bucket_ends, buckets


def stat_buckets(tx, stat: dict, tf: Timeframe, now: int, tz: str, start: int | None = None) -> list[Bucket]:
    starts = buckets(tf, now, tz, start)
    if not starts:
        return []
    ends = bucket_ends(starts, tf, tz)
    rows = pq.read_rollups(tx, stat["id"], tf.resolution, starts[0], ends[-1])
    return bucketize(rows, starts, ends)
