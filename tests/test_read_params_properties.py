"""Property-based: whatever a client puts in the export API's and the web app's parameters (t, start,
summary, offset, tf, s, refresh, size, w, h, style, theme, ...), the answer is never a 5xx, and a
refusal (4xx) changes nothing stored.

The data is seeded once per test (hypothesis runs many examples against one database), with values
from the edges too: +-1.7e308 and points from 1970. Example counts are kept small so each test runs
in seconds on either backend.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.interactors import dashboards as dash
from app.interactors.accounts import get_account
from app.rollups import DAY
from tests.conftest import NOW
from tests.stored import store_stat
from tests.web_helpers import csrf_token

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TABLES = ("stats", "rollups", "dashboards", "dashboard_tiles", "analyses")

# Numbers as clients mistype or attack them, then anything at all.
_numberish = st.one_of(
    st.integers(-10**25, 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "0", "1", "-1", "1e400", "-1e400", "1e20", "nan", "inf", "253402300800", "²", "٣",
                     "1_000", "+5", "0x10", "99999999999999999999", "9" * 5000, "2.5", "1.0", " 3 ", "\x00"]),
)
_duration = st.builds(lambda n, u: f"{n}{u}", st.one_of(st.integers(0, 10**22), st.sampled_from(["²", "", "-1"])),
                      st.sampled_from(list("mhdwMy") + ["", "x", "D"]))
_timeframe = st.one_of(st.builds(lambda a, b: a + b, _duration, _duration), _duration,
                       st.sampled_from(["1w1d", "100y4w", "100y1y", "50y1y", "1y1m", "all", "1h1m1s"]))
_code = st.one_of(st.sampled_from(["1h", "1d", "1w", "1M", "3M", "6M", "1y", "all", "week_compare", "half", "year",
                                   "all_compare", "5y"]), st.text(max_size=12))
_text = st.text(max_size=40)
param = st.one_of(_numberish, _text)


def snapshot(db) -> dict:
    return {t: db.read(lambda tx, t=t: tx.all(f"SELECT * FROM {t} ORDER BY 1")) for t in TABLES}


@pytest.fixture
def world(db, account, signed_in):
    """Ann's data at the edges, a dashboard with a tile, its share link, and her CSRF token."""
    big = [(NOW - k * DAY - 3600, 1.7e308 * (-1) ** k) for k in range(20)]
    old = [(1, 1.0), (20 * 365 * DAY, 2.0)] + [(NOW - k * DAY - 60, 1.0) for k in range(30)]
    ids = {"big": store_stat(db, account.id, "big", "value", big, NOW),
           "old": store_stat(db, account.id, "old", "counter", old, NOW)}
    acc = get_account(db, account.id)
    board = dash.create_dashboard(db, account.id, "Board", NOW)
    dash.add_tile(db, acc, board, [str(ids["big"]), str(ids["old"])], "1w", "2", "", NOW)
    tile = db.read(lambda tx: tx.scalar("SELECT id FROM dashboard_tiles WHERE dashboard_id = ?", (board,)))
    token = dash.share_dashboard(db, acc, board)["dashboard"]["token"]
    keys = {n: db.read(lambda tx, i=i: tx.scalar("SELECT embed_key FROM stats WHERE id = ?", (i,)))
            for n, i in ids.items()}
    return {"ids": ids, "keys": keys, "board": board, "tile": tile, "share": token,
            "csrf": csrf_token(signed_in, "/settings"), "token": account.access_token}


def check(db, before, r):
    assert r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    if r.status_code >= 400:
        assert snapshot(db) == before


@SETTINGS
@given(t=st.one_of(st.none(), _timeframe), start=st.one_of(st.none(), _numberish),
       summary=st.one_of(st.none(), _duration), offset=st.one_of(st.none(), _numberish),
       which=st.sampled_from(["big", "old", "both"]))
def test_the_export_api_never_fails(web, db, world, t, start, summary, offset, which):
    before = snapshot(db)
    ids = [world["ids"]["big"], world["ids"]["old"]] if which == "both" else [world["ids"][which]]
    args = {k: v for k, v in {"t": t, "start": start, "summary": summary}.items() if v is not None}
    r = web.get(f"/x/{world['token']}/data/{'/'.join(map(str, ids))}", query_string=args)
    check(db, before, r)
    if r.status_code == 200:
        assert "Infinity" not in r.get_data(as_text=True) and "NaN" not in r.get_data(as_text=True)
    r = web.get(f"/x/{world['token']}/statlist", query_string={} if offset is None else {"offset": offset})
    check(db, before, r)
    assert r.is_json


@SETTINGS
@given(tf=_code, compare=param, s=st.lists(param, max_size=3), offset=param, sort=param,
       which=st.sampled_from(["big", "old"]))
def test_pages_never_fail(signed_in, db, world, tf, compare, s, offset, sort, which):
    before = snapshot(db)
    stat = world["ids"][which]
    for path, args in ((f"/stats/{stat}", {"tf": tf, "compare": compare}), (f"/stats/{stat}/data.json", {"tf": tf}),
                       ("/analyze", {"s": s or [str(stat)], "tf": tf}), ("/", {"offset": offset, "sort": sort}),
                       (f"/stats/{stat}/embed", {"tf": tf, "w": offset, "h": compare, "style": sort})):
        check(db, before, signed_in.get(path, query_string=args))


@SETTINGS
@given(tf=_code, w=param, h=param, style=st.one_of(st.sampled_from(["auto", "spark", "bar", "fill", "mini"]), param),
       theme=st.one_of(st.sampled_from(["light", "dark"]), param), title=param, svg=st.booleans(),
       which=st.sampled_from(["big", "old", "both"]))
def test_embeds_and_shared_dashboards_never_fail(web, db, world, tf, w, h, style, theme, title, svg, which):
    before = snapshot(db)
    keys = [world["keys"]["big"], world["keys"]["old"]] if which == "both" else [world["keys"][which]]
    path = "/".join(keys) + (".svg" if svg else "")
    args = {"tf": tf, "w": w, "h": h, "style": style, "theme": theme, "title": title}
    check(db, before, web.get(f"/embed/graph/{path}", query_string=args))
    check(db, before, web.get(f"/s/{keys[0]}", query_string={"tf": tf}))
    check(db, before, web.get(f"/d/{world['share']}", query_string={"theme": theme, "tv": w}))
    check(db, before, web.get(f"/d/{world['share']}/tiles/{world['tile']}", query_string={"theme": theme, "mode": h},
                              headers={"HX-Request": "true"}))


@SETTINGS
@given(refresh=param, s=st.lists(param, min_size=1, max_size=3), tf=_code, size=param, by=param,
       order=st.lists(param, max_size=3), title=_text)
def test_dashboard_forms_never_fail_and_refusals_store_nothing(signed_in, db, world, refresh, s, tf, size, by, order,
                                                              title):
    board, tile = world["board"], world["tile"]
    headers = {"X-CSRFToken": world["csrf"], "HX-Request": "true"}
    for path, data in ((f"/dashboards/{board}/refresh", {"refresh": refresh}),
                       (f"/dashboards/{board}/tiles", {"s": s, "tf": tf, "size": size, "title": title}),
                       (f"/dashboards/{board}/order", {"tile": order}),
                       (f"/dashboards/{board}/tiles/{tile}/size", {"size": size, "by": by}),
                       (f"/dashboards/{board}/tiles/{tile}/move", {"by": by})):
        before = snapshot(db)
        check(db, before, signed_in.post(path, data=data, headers=headers))
    before = snapshot(db)
    check(db, before, signed_in.get(f"/dashboards/{board}", query_string={"theme": title, "tv": size}))
