"""Finite but huge values (+-1.7e308) in a stat: every read path draws and answers strict JSON.

The points are written through storage (the ingest API may refuse such values), one per day, so no
stored rollup overflows; sums over several days (week buckets, summaries) exceed the float range on
the read side, which is what these tests are about."""

from __future__ import annotations

import json
import re

import pytest

from app.interactors import dashboards as dash
from app.interactors.accounts import get_account
from app.rollups import DAY
from app.series import MAX_FLOAT, Bucket, bucketize, summarize
from tests.conftest import NOW
from tests.stored import store_stat

BIG = 1.7e308
CODES = ("1h", "1d", "1w", "1M", "3M", "1y", "all")


def strict_json(r):
    """The body as JSON, refusing Infinity/NaN (which Python's json emits and no other parser reads)."""
    assert r.status_code == 200, r.get_data(as_text=True)[:300]

    def refuse(name):
        raise AssertionError(f"{name} in JSON")

    return json.loads(r.get_data(as_text=True), parse_constant=refuse)


def finite_svg(text: str) -> str:
    assert "<svg" in text
    assert not re.search(r"\b(inf|nan)\b", text, re.I), re.search(r".{40}\b(inf|nan)\b.{40}", text, re.I)
    return text


@pytest.fixture
def huge(db, account):
    """A counter and a value stat: +1.7e308 on ten days (the last one an hour ago), -1.7e308 on five
    of them in between, and 1.7e308 a minute ago (so the 1h and 1d graphs have it too)."""
    pts = [(NOW - k * DAY - 3600, BIG) for k in range(10)] + [(NOW - k * DAY - 7200, -BIG) for k in (11, 13, 15)]
    pts.append((NOW - 60, BIG))
    # Minute, hour and day buckets are distinct for every point except the two of today (the same day).
    today = [p for p in pts if p[0] >= NOW - NOW % DAY]
    assert len(today) == 2
    pts = [p for p in pts if p not in today] + [today[0]]
    return {kind: store_stat(db, account.id, f"huge {kind}", kind, pts, NOW) for kind in ("counter", "value")}


@pytest.mark.parametrize("kind", ["counter", "value"])
@pytest.mark.parametrize("code", CODES)
def test_the_stat_page_draws_and_its_json_is_strict(signed_in, huge, kind, code):
    r = signed_in.get(f"/stats/{huge[kind]}?tf={code}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    finite_svg(r.get_data(as_text=True))
    data = strict_json(signed_in.get(f"/stats/{huge[kind]}?tf={code}", headers={"Accept": "application/json"}))
    values = [p["value"] for p in data["points"] if p["value"] is not None]
    assert values and max(abs(v) for v in values) <= MAX_FLOAT
    for row in data["summary"]:
        assert all(v is None or abs(v) <= MAX_FLOAT for k, v in row.items() if k in ("total", "mean", "stddev"))
    strict_json(signed_in.get(f"/stats/{huge[kind]}/data.json?tf={code}"))
    assert signed_in.get(f"/stats/{huge[kind]}/data.csv?tf={code}").status_code == 200


def test_a_value_stats_mean_stays_exact_when_the_sum_overflows(signed_in, huge):
    # The 1y graph's 2-day buckets hold two +1.7e308 days: the mean is 1.7e308, not MAX_FLOAT / 2.
    data = strict_json(signed_in.get(f"/stats/{huge['value']}?tf=1y", headers={"Accept": "application/json"}))
    assert BIG in [p["value"] for p in data["points"]]
    week = next(r for r in data["summary"] if r["period"] == "week")
    assert week["mean"] == pytest.approx(BIG) and week["max"] == BIG


def test_a_counters_sum_past_the_float_range_reads_as_the_largest_float(signed_in, huge):
    data = strict_json(signed_in.get(f"/stats/{huge['counter']}?tf=1y", headers={"Accept": "application/json"}))
    week = next(r for r in data["summary"] if r["period"] == "week")
    assert week["total"] == MAX_FLOAT and week["stddev"] is not None and week["stddev"] <= MAX_FLOAT


@pytest.mark.parametrize("tf", ["hour", "day", "week", "month", "half", "year", "all", "week_compare"])
@pytest.mark.parametrize("style", ["auto", "spark", "bar", "line"])
def test_embeds_draw(web, db, account, huge, tf, style):
    from tests.helpers import stat_row

    keys = [stat_row(db, account.id, f"huge {k}")["embed_key"] for k in ("counter", "value")]
    r = web.get(f"/embed/graph/{keys[0]}/{keys[1]}.svg?tf={tf}&style={style}")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    finite_svg(r.get_data(as_text=True))
    r = web.get(f"/embed/graph/{keys[1]}?tf={tf}&style={style}")
    assert r.status_code == 200 and "<iframe" not in r.get_data(as_text=True)[:0]


def test_dashboard_tiles_draw_for_the_owner_and_on_the_shared_link(signed_in, web, db, account, huge):
    acc = get_account(db, account.id)
    board = dash.create_dashboard(db, account.id, "Huge", NOW)
    for tf in ("1h", "1w", "1y"):
        dash.add_tile(db, acc, board, [str(huge["counter"]), str(huge["value"])], tf, "2", "", NOW)
    r = signed_in.get(f"/dashboards/{board}")
    assert r.status_code == 200
    finite_svg(r.get_data(as_text=True))
    strict_json(signed_in.get(f"/dashboards/{board}", headers={"Accept": "application/json"}))
    token = dash.share_dashboard(db, acc, board)["dashboard"]["token"]
    anon = web
    r = anon.get(f"/d/{token}")
    assert r.status_code == 200
    finite_svg(r.get_data(as_text=True))
    tile_ids = [int(t) for t in re.findall(r'<article id="tile-(\d+)"', r.get_data(as_text=True))]
    assert len(tile_ids) == 3
    for tile_id in tile_ids:
        r = anon.get(f"/d/{token}/tiles/{tile_id}", headers={"HX-Request": "true"})
        assert r.status_code == 200
        finite_svg(r.get_data(as_text=True))


@pytest.mark.parametrize("tf", ["1h", "1d", "1w", "1M", "3M", "1y"])
def test_analysis_draws(signed_in, huge, tf):
    qs = f"s={huge['counter']}&s={huge['value']}&tf={tf}"
    r = signed_in.get(f"/analyze?{qs}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    finite_svg(r.get_data(as_text=True))
    strict_json(signed_in.get(f"/analyze?{qs}", headers={"Accept": "application/json"}))


@pytest.mark.parametrize("t", ["1h1m", "1w1d", "1y1w", "1y1M", "2w1w"])
def test_the_export_api_answers_strict_json(web, account, huge, t):
    body = strict_json(web.get(f"/x/{account.access_token}/data/{huge['counter']}/{huge['value']}?t={t}"))
    assert all(abs(p["value"]) <= MAX_FLOAT for ds in body for p in ds["points"])
    strict_json(web.get(f"/x/{account.access_token}/data/{huge['value']}?summary=30d"))


def test_the_stats_list_draws_sparklines(signed_in, huge):
    r = signed_in.get("/")
    assert r.status_code == 200
    assert not re.search(r"\bnan\b", r.get_data(as_text=True), re.I)


# -- the arithmetic, without a database --------------------------------------------------------------


def test_bucketize_carries_overflowing_sums_scaled():
    rows = [(0, BIG, 1, BIG, BIG), (60, BIG, 1, BIG, BIG), (120, BIG, 2, BIG / 2, BIG / 2)]
    [b] = bucketize(rows, [0], [180])
    assert b.total == MAX_FLOAT and b.n == 4
    assert b.value("value") == pytest.approx(BIG * 0.75) and b.value("counter") == MAX_FLOAT


def test_a_stored_infinity_reads_as_the_largest_float():
    [b] = bucketize([(0, float("inf"), 2, 1.0, 2.0), (60, 1.0, 1, 1.0, 1.0)], [0], [180])
    assert b.total == MAX_FLOAT
    [b] = bucketize([(0, float("-inf"), 1, -1.0, -1.0)], [0], [180])
    assert b.total == -MAX_FLOAT


def test_summaries_never_overflow():
    buckets = [Bucket(i, v, 1, v, v) for i, v in enumerate([BIG, -BIG, BIG, BIG])]
    for kind in ("counter", "value"):
        s = summarize(buckets, kind)
        assert s.stddev is not None and 0 < s.stddev <= MAX_FLOAT
        assert s.mean == pytest.approx(BIG / 2)
    tiny = [Bucket(i, v, 1, v, v) for i, v in enumerate([1e-200, 3e-200])]
    assert summarize(tiny, "value").stddev == pytest.approx(2 ** 0.5 * 1e-200)


def test_the_change_against_the_previous_period_and_sparklines_stay_finite():
    from app.interactors.stat_page import _change
    from app.sparklines import sparkline
    from app.web.filters import number

    assert _change(BIG, -BIG) == 200.0 and _change(BIG, 1e-300) is None and _change(3, 2) == 50.0
    svg = str(sparkline([BIG, -BIG, None, 5.0]))
    assert "nan" not in svg and 'points="2.0,2.0 40.7,26.0"' in svg
    assert number(BIG) == "1.7e308"
