"""Bucket arithmetic: properties that must hold for any points, however they are batched."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.rollups import DAY, HOUR, MINUTE, RollupBatch, bucket_start, local_day_start, merge_row
from app.series import bucketize, summarize

TZS = ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham", "Pacific/Apia", "Europe/Berlin"]
points = st.lists(
    st.tuples(st.integers(1, 3), st.integers(1_600_000_000, 1_900_000_000),
              st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    min_size=1, max_size=60,
)


@given(points, st.sampled_from(TZS), st.integers(1, 5))
@settings(max_examples=150, deadline=None)
def test_batching_never_changes_a_bucket(pts, tz, parts):
    whole = RollupBatch()
    for s, t, v in pts:
        whole.add(s, t, v, tz)
    merged = RollupBatch()
    for i in range(parts):
        piece = RollupBatch()
        for s, t, v in pts[i::parts]:
            piece.add(s, t, v, tz)
        merged.merge(piece)
    assert whole.rows.keys() == merged.rows.keys()
    for key, (total, n, lo, hi) in whole.rows.items():
        m = merged.rows[key]
        assert n == m[1] and lo == m[2] and hi == m[3]
        assert abs(total - m[0]) <= 1e-6 * max(1.0, abs(total))
    assert merged.points == len(pts)


@given(points, st.sampled_from(TZS))
@settings(max_examples=150, deadline=None)
def test_every_point_is_in_exactly_one_bucket_per_resolution_and_means_are_exact(pts, tz):
    batch = RollupBatch()
    for s, t, v in pts:
        batch.add(s, t, v, tz)
    for res in (MINUTE, HOUR, DAY):
        rows = {k: r for k, r in batch.rows.items() if k[1] == res}
        assert sum(r[1] for r in rows.values()) == len(pts)
        for (s, _, b), (total, n, lo, hi) in rows.items():
            mine = [v for ps, t, v in pts if ps == s and bucket_start(t, res, tz) == b]
            assert n == len(mine) and lo == min(mine) and hi == max(mine)
            assert abs(total / n - sum(mine) / len(mine)) <= 1e-6 * max(1.0, max(abs(x) for x in mine))


@given(st.integers(1_600_000_000, 1_900_000_000), st.sampled_from(TZS))
@settings(max_examples=300, deadline=None)
def test_local_day_start_is_the_local_midnight_before_t(t, tz):
    start = local_day_start(t, tz)
    assert start <= t < start + 26 * 3600
    local = datetime.fromtimestamp(start, ZoneInfo(tz))
    assert (local.hour, local.minute) == (0, 0) or tz == "Pacific/Apia"  # no zone skips midnight in our set
    assert local.date() == datetime.fromtimestamp(t, ZoneInfo(tz)).date()


@given(st.tuples(st.floats(-1e3, 1e3), st.integers(1, 9), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
       st.tuples(st.floats(-1e3, 1e3), st.integers(1, 9), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)))
def test_merge_row_is_commutative(a, b):
    assert merge_row(a, b) == merge_row(b, a)


totals = st.one_of(st.floats(allow_nan=False), st.sampled_from([0.0, -0.0, 1.7e308, -1.7e308]))


@given(st.sampled_from([MINUTE, HOUR]), st.integers(1, 30), st.integers(-3, 3), st.integers(0, 1),
       st.lists(st.tuples(st.integers(-3, 30), st.sampled_from([0, 0, 0, 1800]), totals, st.integers(1, 9)),
                max_size=40))
@example(HOUR, 3, 0, 0, [(1, 0, 1.0, 1), (1, 1800, 2.0, 1)])  # two rows in one bucket
@settings(max_examples=300, deadline=None)
def test_one_row_per_bucket_is_the_general_sum(step, nb, shift, calendar_gap, picks):
    # Buckets of one step each (an hour at 1 minute), and rows at that resolution: on the buckets'
    # grid, or half an hour off it (a zone whose offset moved by 30 minutes), so that two rows can
    # meet in one bucket; outside the window too. The arithmetic placing gives the general sum.
    first = 1_795_000_000 - 1_795_000_000 % step + shift * step
    starts = [first + i * step for i in range(nb)]
    ends = [t + step for t in starts]
    if calendar_gap:  # a bucket longer than a step: the general way, whatever the rows
        ends[-1] += step
    seen, rows = set(), []
    for k, off, total, n in picks:
        ts = first + k * step + (off if step == HOUR else 0)
        if ts not in seen:
            seen.add(ts)
            rows.append((ts, total, n, -abs(total), abs(total)))
    rows.sort()
    assert repr(bucketize(rows, starts, ends, step)) == repr(bucketize(rows, starts, ends))  # -0.0 is not 0.0


def test_bucketize_and_summary_counters_and_values():
    rows = [(0, 2.0, 1, 2.0, 2.0), (60, 4.0, 2, 1.0, 3.0), (180, 6.0, 1, 6.0, 6.0)]
    b = bucketize(rows, [0, 120], [120, 240])
    assert [(x.total, x.n) for x in b] == [(6.0, 3), (6.0, 1)]
    c = summarize(b, "counter")
    assert (c.total, c.mean, c.min, c.max, c.last, c.count) == (12.0, 6.0, 6.0, 6.0, 6.0, 4)
    v = summarize(b, "value")
    assert (v.total, v.mean, v.min, v.max, v.last) == (None, 3.0, 1.0, 6.0, 6.0)
    assert summarize([], "value").count == 0
