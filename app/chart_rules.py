"""What a graph draws from a stat's buckets: the honest-drawing rules. Pure.

- No data is not zero. A counter's empty bucket is a zero only once the stat has data: before its
  first point (and in the previous-period line, before the stat existed) there is nothing to draw.
- Value stats with sparse data still draw lines: a line runs on across a few empty buckets (up to
  a gap in keeping with how often the stat reports) and breaks only at a real hole.
- The last bucket of a window that ends now is still filling: it is flagged so it can be drawn
  lighter, instead of a counter seeming to fall off a cliff.
"""

from __future__ import annotations

from statistics import median

Point = tuple[int, float | None]

BRIDGE_FACTOR = 3      # a gap up to 3x the usual spacing between readings is bridged
BRIDGE_MIN = 2         # ...and always one of 2 buckets (a reading every other bucket still draws a line)
BRIDGE_MAX_SHARE = 0.25   # ...but never one longer than a quarter of the window (two lone readings stay dots)


def bucket_points(buckets, kind: str, since: int | None = None) -> list[Point]:
    """(time, value) for each bucket. Values: the mean, None when empty. Counters: the sum, or None
    for buckets that end before `since` (the stat's first data), where zero would be a claim."""
    out: list[Point] = []
    for i, b in enumerate(buckets):
        if kind == "counter":
            end = buckets[i + 1].time if i + 1 < len(buckets) else None
            before_data = since is not None and (end if end is not None else b.time + 1) <= since and not b.n
            out.append((b.time, None if before_data else float(b.total)))
        else:
            out.append((b.time, b.total / b.n if b.n else None))
    return out


def bridge_limit(points: list[Point]) -> int:
    """How many empty buckets in a row a line runs across: BRIDGE_FACTOR x the median spacing of the
    readings (in buckets), at least BRIDGE_MIN, at most BRIDGE_MAX_SHARE of the window."""
    filled = [i for i, (_, v) in enumerate(points) if v is not None]
    gaps = [b - a - 1 for a, b in zip(filled, filled[1:]) if b - a > 1]
    spacing = [b - a for a, b in zip(filled, filled[1:])]
    if not gaps or not spacing:
        return BRIDGE_MIN
    usual = int(BRIDGE_FACTOR * median(spacing)) - 1
    return max(BRIDGE_MIN, min(usual, int(len(points) * BRIDGE_MAX_SHARE)))


def segments(points: list[Point], bridge: int = 0) -> list[list[tuple[int, float]]]:
    """Runs of points with data; runs separated by at most `bridge` empty buckets are joined into one
    line (drawn straight across the empty ones)."""
    out: list[list[tuple[int, float]]] = []
    cur: list[tuple[int, float]] = []
    empty = 0
    for t, v in points:
        if v is None:
            empty += 1
            continue
        if cur and empty > bridge:
            out.append(cur)
            cur = []
        cur.append((t, v))
        empty = 0
    if cur:
        out.append(cur)
    return out


def still_filling(last_start: int | None, step: int, now: int | None) -> bool:
    """Whether the bucket starting at last_start has not ended yet at `now`."""
    return last_start is not None and now is not None and last_start <= now < last_start + step
