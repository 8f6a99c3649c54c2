"""The "all" timeframe over any stored history: points from 1970 (t=1) to now, dense or sparse, on
the stat page, its downloads, embeds and the export API, with exact sums."""

from __future__ import annotations

import pytest

from app.interactors import graphs
from app.interactors.reading import stat_buckets
from app.rollups import DAY
from app.series import bucketize
from app.storage import accounts as aq
from app.storage import points as pq
from app.storage import stats as sq
from app.timeframes import MAX_READ_ROWS, bucket_ends
from tests.conftest import NOW
from tests.stored import store_stat

YEAR = 365 * DAY


def decades():
    """t=1, one point a day for the last 30 years (~11,000 day rows), and a few in between."""
    pts = [(1, 1.0), (15 * YEAR + 5000, 1.0), (20 * YEAR + 77, 1.0)]
    pts += [(NOW - k * DAY - 3600, 1.0) for k in range(30 * 365)]
    return pts


@pytest.fixture
def old(db, account):
    pts = decades()
    return {"counter": store_stat(db, account.id, "since 1970", "counter", pts, NOW),
            "value": store_stat(db, account.id, "temp since 1970", "value", [(t, 20.0) for t, _ in pts], NOW),
            "n": len(pts)}


def test_the_all_graph_draws_every_point_since_1970(signed_in, old):
    r = signed_in.get(f"/stats/{old['counter']}?tf=all")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert "<svg" in r.get_data(as_text=True)
    data = signed_in.get(f"/stats/{old['counter']}?tf=all", headers={"Accept": "application/json"}).get_json()
    points = data["points"]
    assert points[0]["time"] <= 1 and len(points) <= graphs.ALL_MAX_POINTS + 2
    assert sum(p["value"] for p in points) == old["n"]        # every point counted once
    assert data["timeframe"]["detail"].startswith("all data @ ")
    v = signed_in.get(f"/stats/{old['value']}?tf=all", headers={"Accept": "application/json"}).get_json()
    assert {p["value"] for p in v["points"] if p["value"] is not None} == {20.0}
    assert sum(p["count"] for p in v["points"]) == old["n"]


def test_downloads_of_all(signed_in, old):
    r = signed_in.get(f"/stats/{old['counter']}/data.json?tf=all")
    assert r.status_code == 200 and sum(p["value"] for p in r.get_json()["points"]) == old["n"]
    r = signed_in.get(f"/stats/{old['counter']}/data.csv?tf=all")
    assert r.status_code == 200 and r.get_data(as_text=True).count("\n") > 100


def test_embeds_of_all(web, db, account, old):
    keys = [db.read(lambda tx, i=i: sq.stat_by_id(tx, account.id, i))["embed_key"]
            for i in (old["counter"], old["value"])]
    for path in (f"{keys[0]}.svg", f"{keys[0]}/{keys[1]}.svg", keys[0]):
        r = web.get(f"/embed/graph/{path}?tf=all")
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:300])
    assert web.get(f"/s/{keys[0]}?tf=all").status_code in (200, 404)   # public pages only when public


def test_the_export_api_reads_decades_at_day_and_week_intervals(web, account, old):
    r = web.get(f"/x/{account.access_token}/data/{old['counter']}?t=60y4w&start=1")
    assert r.status_code == 200
    assert sum(p["value"] for p in r.get_json()[0]["points"]) == old["n"]


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia"])
def test_database_sums_per_bucket_equal_summing_every_row(db, account, tz):
    """The grouped read (rows summed by the database) gives exactly the buckets the row-by-row read
    gives, across DST changes and Samoa skipping a day (Pacific/Apia, 2011)."""
    db.run(lambda tx: aq.update_account(tx, account.id, timezone=tz))
    pts = [(NOW - k * DAY - (k * 3607) % DAY, float(k % 13)) for k in range(30 * 365)] + [(1, 5.0)]
    stat_id = store_stat(db, account.id, "dense", "value", pts, NOW, tz=tz)

    def both(tx):
        stat = sq.stat_by_id(tx, account.id, stat_id)
        win = graphs.window(tx, stat, "all", NOW)
        grouped = stat_buckets(tx, stat, win.tf, NOW, tz, win.start)
        starts = [b.time for b in grouped]
        ends = bucket_ends(starts, win.tf, tz)
        rows = pq.read_rollups(tx, stat_id, DAY, starts[0], ends[-1])
        assert len(rows) > MAX_READ_ROWS   # so the grouped read was used
        return grouped, bucketize(rows, starts, ends)

    grouped, plain = db.read(both)
    assert [(b.time, b.n, b.lo, b.hi) for b in grouped] == [(b.time, b.n, b.lo, b.hi) for b in plain]
    assert [b.total for b in grouped] == pytest.approx([b.total for b in plain])
    assert sum(b.n for b in grouped) == len(pts)


def test_grouped_sums_of_huge_values_stay_exact_on_every_backend(signed_in, db, account):
    """Eight years of 1.7e308 a day, read as "all" (grouped by the database): MariaDB's SUM of such rows
    answers 0, so the scaled sum is what must be read."""
    big = 1.7e308
    pts = [(NOW - k * DAY - 3600, big) for k in range(8 * 365)]
    ids = {kind: store_stat(db, account.id, f"huge {kind}", kind, pts, NOW) for kind in ("counter", "value")}
    for kind, expected in (("value", big), ("counter", 1.7976931348623157e308)):
        r = signed_in.get(f"/stats/{ids[kind]}?tf=all", headers={"Accept": "application/json"})
        assert r.status_code == 200
        assert "Infinity" not in r.get_data(as_text=True)
        values = [p["value"] for p in r.get_json()["points"] if p["count"]]
        assert len(values) > 100 and all(v == pytest.approx(expected) for v in values)
