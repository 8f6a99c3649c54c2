"""The stat page: graph per timeframe with the previous period, summaries, downloads and settings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from app.graphs import DARK_PALETTE, PALETTE, Series, render_graph
from app.interactors import graphs
from app.interactors.ingest import EzItem, record_ez
from app.rollups import DAY, HOUR, MINUTE
from app.timeframes import buckets
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.web_helpers import csrf_token, post

HX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}
SVG_NS = "{http://www.w3.org/2000/svg}"
STATE = "SELECT id, name, unit, public, deleted_at FROM stats ORDER BY id"


def record(db, account, items):
    record_ez(db, account.ezkey, items, NOW, bulk=True)


def stat_id(db, account, name):
    return stat_row(db, account.id, name)["id"]


def set_timezone(db, account, tz):
    db.run(lambda tx: tx.execute("UPDATE accounts SET timezone = ? WHERE id = ?", (tz, account.id)))


def state(db):
    return db.read(lambda tx: tx.all(STATE))


@pytest.fixture
def signups(db, account):
    """A counter: 1 at 14:30, 2 + 3 at 15:28 (UTC), 4 a day before 14:30 (the previous day)."""
    record(db, account, [EzItem(stat="signups", count=1, t=NOW - 3600), EzItem(stat="signups", count=2, t=NOW - 120),
                         EzItem(stat="signups", count=3, t=NOW - 110),
                         EzItem(stat="signups", count=4, t=NOW - DAY - 3600)])
    return stat_id(db, account, "signups")


@pytest.fixture
def latency(db, account):
    """A value stat with a reading at 14:30 and two at 15:28 (averaged: 150), nothing between."""
    record(db, account, [EzItem(stat="latency", value=v, t=NOW - s) for v, s in ((100, 3600), (120, 120), (180, 100))])
    return stat_id(db, account, "latency")


# -- 1. timeframes, the comparison, htmx fragments and history ---------------------------------------


def test_the_page_shows_a_week_graph_with_the_previous_week_by_default(signed_in, signups):
    r = signed_in.get(f"/stats/{signups}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" in html and 'id="stat-view"' in html
    assert '<h1 id="stat-title">signups</h1>' in html
    assert re.search(r'aria-current="true">1 week</a>', html)
    assert 'role="switch" aria-checked="true"' in html and "Compare with previous week" in html
    # The stat is a day old: the previous week had no data, so no line (not a flat zero) and a note saying so.
    assert html.count('id="stat-graph"') == 1 and "previous week" not in _svg(html)
    assert "No data in the previous week" in html
    day = signed_in.get(f"/stats/{signups}?tf=1d").get_data(as_text=True)
    assert "previous day" in _svg(day) and "No data in the previous" not in day   # the dashed series' legend
    assert 'id="stat-name-form"' in html and 'id="delete-stat"' in html  # settings live on the full page


@pytest.mark.parametrize("code, n, step, res", [
    ("1h", (60, 61), MINUTE, MINUTE), ("1d", (288, 289), 5 * MINUTE, MINUTE), ("1w", (168, 169), HOUR, HOUR),
    ("1M", (170, 190), 4 * HOUR, HOUR), ("3M", (170, 190), 12 * HOUR, HOUR), ("1y", (180, 185), 2 * DAY, DAY)])
def test_each_timeframe_has_a_bounded_number_of_points_and_rows(signed_in, signups, code, n, step, res):
    body = signed_in.get(f"/stats/{signups}?tf={code}", headers=JSON).get_json()
    assert body["timeframe"]["code"] == code and body["timeframe"]["step"] == step
    assert n[0] <= len(body["points"]) <= n[1]
    assert len(body["previous"]) <= len(body["points"])
    win = graphs.window(None, {"id": signups}, code, NOW)
    assert win.tf.resolution == res
    starts = buckets(win.tf, NOW, "UTC")
    assert (starts[-1] + step - starts[0]) // res <= 2400   # rollup rows read per series


def test_the_one_year_graph_reads_day_rows_like_the_week_reads_hours(signed_in, db, account):
    record(db, account, [EzItem(stat="old", count=1, t=NOW - k * DAY) for k in range(0, 400, 3)])
    sid = stat_id(db, account, "old")
    week = signed_in.get(f"/stats/{sid}?tf=1w", headers=JSON).get_json()
    year = signed_in.get(f"/stats/{sid}?tf=1y", headers=JSON).get_json()
    assert 0.9 <= len(year["points"]) / len(week["points"]) <= 1.2
    assert sum(p["value"] for p in year["points"]) == len(range(0, 365, 3)) - 0   # every post of the year


def test_counters_sum_and_the_previous_day_is_shifted_onto_today(signed_in, signups):
    body = signed_in.get(f"/stats/{signups}?tf=1d", headers=JSON).get_json()
    pts = {p["time"]: p for p in body["points"]}
    assert pts[NOW - 3600]["value"] == 1 and pts[NOW - 300]["value"] == 5 and pts[NOW - 300]["count"] == 2
    assert pts[NOW - 600]["value"] == 0 and pts[NOW - 600]["count"] == 0      # an empty counter bucket is 0
    prev = {p["time"]: p["value"] for p in body["previous"]}
    assert prev[NOW - 3600] == 4 and sum(prev.values()) == 4           # a day earlier, drawn a day later
    assert list(prev) == list(pts)                                      # the same buckets, one over the other
    assert body["compare"] is True and body["previous_label"] == "previous day"


def test_the_comparison_can_be_turned_off(signed_in, signups):
    body = signed_in.get(f"/stats/{signups}?tf=1d&compare=0", headers=JSON).get_json()
    assert body["compare"] is False and body["previous"] is None
    html = signed_in.get(f"/stats/{signups}?tf=1d&compare=0").get_data(as_text=True)
    assert 'aria-checked="false"' in html and "previous day" not in html.split('id="stat-graph"')[1].split("</svg>")[0]
    # The tabs keep the toggle; the toggle keeps the timeframe.
    assert f'href="/stats/{signups}?tf=1w&amp;compare=0"' in html
    assert f'id="compare-toggle"\n       href="/stats/{signups}?tf=1d"' in html


def test_switching_timeframe_answers_only_the_fragments_for_htmx_and_pushes_the_url(signed_in, signups):
    r = signed_in.get(f"/stats/{signups}?tf=1d", headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "HX-Request" in r.headers["Vary"]
    assert html.startswith('<div id="stat-view"') and "<html" not in html
    # The summary table does not depend on the timeframe: it stays, only the graph view is swapped.
    assert 'id="stat-graph"' in html and 'id="stat-summary"' not in html
    assert 'id="stat-name-form"' not in html and 'class="topbar"' not in html
    assert re.search(r'aria-current="true">1 day</a>', html)
    # Links swap the view in place and push their URL, so back/forward and reload work...
    assert f'href="/stats/{signups}?tf=1y" hx-get="/stats/{signups}?tf=1y" hx-push-url="/stats/{signups}?tf=1y"' in html
    assert 'hx-target="this" hx-swap="outerHTML"' in html
    # ...and the pushed URL, loaded as a page, shows the same state.
    full = signed_in.get(f"/stats/{signups}?tf=1d").get_data(as_text=True)
    assert "<html" in full and re.search(r'aria-current="true">1 day</a>', full) and 'id="stat-summary"' in full
    assert _graph_paths(full) == _graph_paths(html)


def test_htmx_history_restore_gets_the_whole_page(signed_in, signups):
    r = signed_in.get(f"/stats/{signups}?tf=1d", headers={**HX, "HX-History-Restore-Request": "true"})
    html = r.get_data(as_text=True)
    assert "<html" in html and 'class="topbar"' in html and 'id="stat-name-form"' in html


def test_an_unknown_timeframe_is_a_clear_error(signed_in, signups):
    for bad in ("5q", "1w1y", "2d1m1", "x"):
        r = signed_in.get(f"/stats/{signups}?tf={bad}", headers=JSON)
        assert r.status_code == 400 and "unknown timeframe" in r.get_json()["msg"], bad
    r = signed_in.get(f"/stats/{signups}?tf=1y1m", headers=JSON)   # 525,600 points
    assert r.status_code == 400 and "too many points" in r.get_json()["msg"]
    for args in ("start=10", "start=5&end=4", "start=x&end=y"):
        r = signed_in.get(f"/stats/{signups}?{args}", headers=JSON)
        assert r.status_code == 400, args


def test_all_runs_from_the_first_data_with_day_multiples_for_long_histories(signed_in, db, account):
    record(db, account, [EzItem(stat="long", value=k, t=NOW - k * DAY) for k in range(0, 1000, 7)])
    body = signed_in.get(f"/stats/{stat_id(db, account, 'long')}?tf=all", headers=JSON).get_json()
    assert body["timeframe"]["step"] % DAY == 0 and body["timeframe"]["step"] == 5 * DAY
    assert 150 <= len(body["points"]) <= 201 and body["previous"] is None and body["comparable"] is False
    assert body["points"][0]["time"] <= NOW - 994 * DAY < body["points"][0]["time"] + 5 * DAY
    assert body["points"][0]["value"] == 994


def test_all_for_a_young_stat_uses_hours_or_minutes(signed_in, db, account):
    record(db, account, [EzItem(stat="young", count=1, t=NOW - 3 * DAY), EzItem(stat="baby", count=1, t=NOW - 3000)])
    young = signed_in.get(f"/stats/{stat_id(db, account, 'young')}?tf=all", headers=JSON).get_json()
    assert young["timeframe"]["step"] == HOUR and young["timeframe"]["detail"] == "all data @ 1 hour"
    baby = signed_in.get(f"/stats/{stat_id(db, account, 'baby')}?tf=all", headers=JSON).get_json()
    assert baby["timeframe"]["step"] == MINUTE and 50 <= len(baby["points"]) <= 52
    assert sum(p["value"] for p in baby["points"]) == 1


# -- 2. graph: lean, self-contained, following the browser's colour scheme ----------------------------


def _svg(html: str) -> str:
    return re.search(r"<svg.*?</svg>", html.split('id="stat-graph"', 1)[1], re.S).group(0)


def _graph_paths(html: str) -> list[str]:
    return [p.get("d") for p in ET.fromstring(_svg(html)).iter(SVG_NS + "path")]


def test_the_graph_svg_is_inline_without_scripts_or_outside_urls_and_follows_dark_mode(signed_in, signups):
    svg = _svg(signed_in.get(f"/stats/{signups}").get_data(as_text=True))
    ET.fromstring(svg)
    assert "<script" not in svg.lower() and "javascript:" not in svg and "href=" not in svg.replace("xmlns:xlink", "")
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", svg))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "@media (prefers-color-scheme:dark)" in svg and DARK_PALETTE[0] in svg and PALETTE[0] in svg


def test_render_graph_auto_theme_keeps_light_and_dark_as_they_were():
    s = [Series("x", [(NOW + i * HOUR, float(i)) for i in range(24)]),
         Series("before", [(NOW + i * HOUR, float(i) / 2) for i in range(24)], dashed=True)]
    auto = render_graph(s, theme="auto")
    light, dark = render_graph(s, theme="light"), render_graph(s, theme="dark")
    assert "prefers-color-scheme" not in light and "prefers-color-scheme" not in dark
    assert "#111827" in dark and f'stroke="{DARK_PALETTE[0]}"' in dark and f'stroke="{PALETTE[0]}"' in light
    base, media = auto.split("@media (prefers-color-scheme:dark)")
    assert f'stroke="{PALETTE[0]}"' in auto and "fill:transparent" in base
    assert f'[stroke="{PALETTE[0]}"]{{stroke:{DARK_PALETTE[0]}}}' in media and "fill:#9ca3af" in media
    assert "#111827" not in media.split("}</style>")[0].replace("fill:#111827", "")  # no opaque dark card


def test_a_value_stat_has_gaps_where_there_is_no_data(signed_in, latency):
    body = signed_in.get(f"/stats/{latency}?tf=1h", headers=JSON).get_json()
    values = [p["value"] for p in body["points"]]
    assert values[0] == 100 and values[-3] == 150 and values[1] is None and values.count(None) == len(values) - 2
    html = signed_in.get(f"/stats/{latency}?tf=1h&compare=0").get_data(as_text=True)
    svg = ET.fromstring(_svg(html))
    dots = [c for c in svg.iter(SVG_NS + "circle") if c.get("class") == "eyrie-dot"]
    lines = [p for p in svg.iter(SVG_NS + "path") if p.get("class") == "eyrie-line"]
    assert len(dots) == 2 and not lines   # two lone readings, never a line through zero


# -- 3. summaries -----------------------------------------------------------------------------------


def test_summary_rows_for_hour_day_week_month_year(signed_in, db, account, signups):
    db.run(lambda tx: tx.execute("UPDATE stats SET unit = 'ms' WHERE id = ?", (signups,)))
    body = signed_in.get(f"/stats/{signups}?tf=1d", headers=JSON).get_json()
    rows = {r["period"]: r for r in body["summary"]}
    assert list(rows) == ["hour", "day", "week", "month", "year"]
    assert rows["hour"]["total"] == 6 and rows["hour"]["count"] == 3 and rows["hour"]["max"] == 5
    assert rows["hour"]["mean"] == 3 and rows["hour"]["min"] == 1 and rows["hour"]["last"] == 5
    assert rows["day"]["total"] == 6          # the post 25 hours ago is outside the last day
    assert rows["week"]["total"] == 10 and rows["year"]["count"] == 4
    assert body["summary_for"] == "day"
    html = signed_in.get(f"/stats/{signups}?tf=1d").get_data(as_text=True)
    table = html.split('id="stat-summary"')[1].split("</table>")[0]
    assert '<tr class="current">' in table and "Last day" in table
    assert '<th scope="col" class="num">Total</th>' in table
    assert '<td data-label="Total" class="num strong">6<span class="unit"> ms</span></td>' in table


def test_value_summaries_have_no_total_and_a_gap_free_mean(signed_in, latency):
    body = signed_in.get(f"/stats/{latency}", headers=JSON).get_json()
    hour = body["summary"][0]
    assert hour["total"] is None and hour["mean"] == pytest.approx(400 / 3) and hour["min"] == 100
    assert hour["max"] == 180 and hour["count"] == 3 and hour["last"] == 150
    assert body["shown"]["headline"] == "mean"
    html = signed_in.get(f"/stats/{latency}").get_data(as_text=True)
    assert ">Total</th>" not in html


# -- 4. settings ------------------------------------------------------------------------------------


def test_rename_answers_its_widget_and_the_new_title(signed_in, db, account, signups):
    r = post(signed_in, f"/stats/{signups}/name", {"name": "  new signups "}, htmx=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="new signups"' in html and "Renamed" in html
    assert '<h1 id="stat-title" hx-swap-oob="true">new signups</h1>' in html
    assert r.headers["HX-Trigger"] == "stat-changed"
    assert stat_row(db, account.id, "new signups")["id"] == signups and stat_row(db, account.id, "signups") is None


@pytest.mark.parametrize("name, status, msg", [
    ("latency", 409, "A stat named 'latency' already exists"), ("", 400, "Stat name is empty"),
    ("   ", 400, "Stat name is empty"), ("x" * 256, 400, "Stat name is longer than 255 characters"),
    ("bad\x07name", 400, "Stat name contains control characters")])
def test_a_refused_rename_shows_the_error_and_changes_nothing(signed_in, db, signups, latency, name, status, msg):
    before = state(db)
    r = post(signed_in, f"/stats/{signups}/name", {"name": name}, htmx=True)
    html = r.get_data(as_text=True)   # htmx swaps 4xx answers (layouts/base.html), so the form shows it
    assert r.status_code == status and f'role="alert">{msg}.</div>' in html.replace("&#39;", "'")
    assert html.startswith('<form id="stat-name-form"')
    assert 'aria-invalid="true"' in html and "HX-Trigger" not in r.headers and "hx-swap-oob" not in html
    assert state(db) == before
    r = signed_in.post(f"/stats/{signups}/name", data={"name": name},
                       headers={**JSON, "X-CSRFToken": _token(signed_in)})
    assert r.status_code == status and r.get_json()["error"].lower().startswith(msg.lower()[:12])
    assert state(db) == before


def test_rename_to_a_trashed_stats_name_says_so(signed_in, db, account, signups, latency):
    assert post(signed_in, f"/stats/{latency}/delete", htmx=True).status_code == 200
    r = post(signed_in, f"/stats/{signups}/name", {"name": "latency"}, htmx=True)
    assert "already exists (in the trash)" in r.get_data(as_text=True).replace("&#39;", "'")
    assert stat_row(db, account.id, "signups")["id"] == signups


def test_a_refused_change_without_javascript_comes_back_to_the_page_with_the_message(signed_in, db, signups,
                                                                                    latency):
    r = signed_in.post(f"/stats/{signups}/name", data={"name": "latency", "csrf_token": _token(signed_in)})
    assert r.status_code == 303 and r.headers["Location"] == f"/stats/{signups}"
    assert "Not saved: a stat named" in signed_in.get(f"/stats/{signups}").get_data(as_text=True)
    r = signed_in.post(f"/stats/{signups}/name", data={"name": "renamed", "csrf_token": _token(signed_in)})
    assert r.status_code == 303 and db.read(lambda tx: tx.scalar("SELECT name FROM stats WHERE id = ?",
                                                                  (signups,))) == "renamed"


def test_set_and_clear_the_unit(signed_in, db, signups):
    r = post(signed_in, f"/stats/{signups}/unit", {"unit": " req/s "}, htmx=True)
    assert r.status_code == 200 and 'value="req/s"' in r.get_data(as_text=True) and "Unit set." in r.get_data(True)
    assert _col(db, signups, "unit") == "req/s"
    page = signed_in.get(f"/stats/{signups}").get_data(as_text=True)
    assert '<span class="unit"> req/s</span>' in page and "req/s" in _svg(page)   # summary and axis
    r = post(signed_in, f"/stats/{signups}/unit", {"unit": "x" * 33}, htmx=True)
    assert r.status_code == 400 and "longer than 32 characters" in r.get_data(as_text=True)
    assert _col(db, signups, "unit") == "req/s"
    r = post(signed_in, f"/stats/{signups}/unit", {"unit": "a\nb"}, htmx=True)
    assert "control characters" in r.get_data(as_text=True) and _col(db, signups, "unit") == "req/s"
    post(signed_in, f"/stats/{signups}/unit", {"unit": ""}, htmx=True)
    assert _col(db, signups, "unit") == ""


def test_currency_units_go_before_the_number(signed_in, db, signups):
    post(signed_in, f"/stats/{signups}/unit", {"unit": "$"}, htmx=True)
    html = signed_in.get(f"/stats/{signups}?tf=1h").get_data(as_text=True)
    assert '<td data-label="Total" class="num strong">$6</td>' in html


def test_public_toggle(signed_in, db, signups):
    r = post(signed_in, f"/stats/{signups}/public", {"public": "1"}, htmx=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<strong>Public</strong>" in html and "Make private" in html
    assert 'id="stat-public-badge" hx-swap-oob="true"' in html
    assert _col(db, signups, "public") == 1
    assert "<strong>Private</strong>" in post(signed_in, f"/stats/{signups}/public", {"public": "0"},
                                              htmx=True).get_data(as_text=True)
    assert _col(db, signups, "public") == 0


def test_the_page_shows_keys_kind_created_and_last_data(signed_in, db, signups):
    row = db.read(lambda tx: tx.one("SELECT classic_key, embed_key FROM stats WHERE id = ?", (signups,)))
    html = signed_in.get(f"/stats/{signups}").get_data(as_text=True)
    assert f'id="classic-key">{row["classic_key"]}<' in html and f'id="embed-key">{row["embed_key"]}<' in html
    assert "<dt>Kind</dt><dd>counter" in html and "2026-11-24 15:30" in html and "2026-11-24 15:28" in html


def test_delete_moves_the_stat_to_the_trash_and_goes_home(signed_in, db, signups):
    r = post(signed_in, f"/stats/{signups}/delete", htmx=True)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/"
    assert _col(db, signups, "deleted_at") == NOW
    assert "Moved “signups” to the trash" in signed_in.get("/").get_data(as_text=True)
    assert signed_in.get(f"/stats/{signups}").status_code == 404
    assert post(signed_in, f"/stats/{signups}/delete", htmx=True).status_code == 404


def test_delete_without_javascript_redirects(signed_in, db, signups):
    r = signed_in.post(f"/stats/{signups}/delete", data={"csrf_token": _token(signed_in)})
    assert r.status_code == 303 and r.headers["Location"] == "/" and _col(db, signups, "deleted_at") == NOW


# -- 5. downloads -----------------------------------------------------------------------------------


def test_csv_download_is_exact_in_the_accounts_timezone(signed_in, db, account, signups):
    set_timezone(db, account, "Asia/Kolkata")
    r = signed_in.get(f"/stats/{signups}/data.csv?tf=1h")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="signups-1h.csv"'
    lines = r.get_data(as_text=True).split("\n")
    assert lines[0] == "time,iso_time,value,count"
    assert lines[1] == "1795530600,2026-11-24T20:00:00+05:30,1,1"
    assert lines[2] == "1795530660,2026-11-24T20:01:00+05:30,0,0"
    assert lines[59:] == ["1795534080,2026-11-24T20:58:00+05:30,5,2", "1795534140,2026-11-24T20:59:00+05:30,0,0",
                          "1795534200,2026-11-24T21:00:00+05:30,0,0", ""]
    expected = ["time,iso_time,value,count"] + [
        f"{t},2026-11-24T{20 + (t - 1795530600) // 3600}:{(t - 1795530600) // 60 % 60:02d}:00+05:30,"
        + {1795530600: "1,1", 1795534080: "5,2"}.get(t, "0,0") for t in range(1795530600, NOW + 1, 60)]
    assert r.get_data(as_text=True) == "\n".join(expected) + "\n"


def test_csv_for_a_value_stat_leaves_gaps_empty(signed_in, latency):
    text = signed_in.get(f"/stats/{latency}/data.csv?tf=1h").get_data(as_text=True)
    lines = text.splitlines()
    assert lines[1] == "1795530600,2026-11-24T14:30:00+00:00,100,1"
    assert lines[2] == "1795530660,2026-11-24T14:31:00+00:00,,0"
    assert lines[59] == "1795534080,2026-11-24T15:28:00+00:00,150,2"


def test_json_download_has_the_same_points(signed_in, signups):
    r = signed_in.get(f"/stats/{signups}/data.json?tf=1d")
    assert r.headers["Content-Disposition"] == 'attachment; filename="signups-1d.json"'
    body = r.get_json()
    assert body["stat"]["name"] == "signups" and body["timeframe"]["detail"] == "1 day @ 5 minutes"
    page = signed_in.get(f"/stats/{signups}?tf=1d", headers=JSON).get_json()
    assert body["points"] == page["points"] and len(body["points"]) == 289


def test_download_file_names_are_slugs(signed_in, db, account):
    record(db, account, [EzItem(stat="API: p99 / EU", value=1, t=NOW)])
    r = signed_in.get(f"/stats/{stat_id(db, account, 'API: p99 / EU')}/data.csv?tf=1M")
    assert r.headers["Content-Disposition"] == 'attachment; filename="api-p99-eu-1M.csv"'


# -- 6. JSON ----------------------------------------------------------------------------------------


def test_the_page_as_json(signed_in, signups):
    body = signed_in.get(f"/stats/{signups}?tf=1h", headers=JSON).get_json()
    assert set(body) >= {"stat", "timeframe", "points", "previous", "summary", "compare"}
    assert "svg" not in body and body["stat"]["name"] == "signups" and body["stat"]["kind"] == "counter"
    assert body["timeframe"] == {"code": "1h", "label": "1 hour", "detail": "1 hour @ 1 minute", "step": 60,
                                 "start": NOW - 3600, "end": NOW, "args": {"tf": "1h"}, "custom": False,
                                 "partial": True}   # partial: the last minute is still filling
    assert body["points"][0] == {"time": NOW - 3600, "iso_time": "2026-11-24T14:30:00+00:00", "value": 1, "count": 1}


# -- 7. who may see and change what ------------------------------------------------------------------


ROUTES = ["/stats/{id}", "/stats/{id}?tf=1d", "/stats/{id}/data.csv", "/stats/{id}/data.json"]
POSTS = ["/stats/{id}/name", "/stats/{id}/unit", "/stats/{id}/public", "/stats/{id}/delete"]


def test_another_accounts_stat_is_404_everywhere(signed_in, db, other_account):
    record_ez(db, other_account.ezkey, [EzItem(stat="theirs", count=1, t=NOW)], NOW, bulk=True)
    theirs = stat_id(db, other_account, "theirs")
    before = state(db)
    for path in ROUTES:
        for headers in ({}, HX, JSON):
            assert signed_in.get(path.format(id=theirs), headers=headers).status_code == 404, path
    token = _token(signed_in)
    for path in POSTS:
        for headers in ({}, HX):
            r = signed_in.post(path.format(id=theirs), data={"name": "mine", "unit": "x", "public": "1"},
                               headers={**headers, "X-CSRFToken": token})
            assert r.status_code == 404, path
    assert signed_in.get("/stats/999999").status_code == 404
    assert state(db) == before


def test_anonymous_users_are_sent_to_log_in(web, db, account, signups):
    for path in ROUTES:
        r = web.get(path.format(id=signups))
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
    r = web.get(f"/stats/{signups}?tf=1d", headers=HX)
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login")


def test_posts_without_a_csrf_token_are_refused(signed_in, db, signups):
    before = state(db)
    for path in POSTS:
        r = signed_in.post(path.format(id=signups), data={"name": "x", "unit": "x", "public": "1"}, headers=HX)
        assert r.status_code == 400, path
        r = signed_in.post(path.format(id=signups), data={"name": "x", "csrf_token": "forged"})
        assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    assert state(db) == before


def test_a_trashed_stat_is_404(signed_in, db, signups):
    db.run(lambda tx: tx.execute("UPDATE stats SET deleted_at = ? WHERE id = ?", (NOW, signups)))
    assert signed_in.get(f"/stats/{signups}").status_code == 404
    assert post(signed_in, f"/stats/{signups}/name", {"name": "zombie"}, htmx=True).status_code == 404
    assert _col(db, signups, "name") == "signups"


# -- helpers ----------------------------------------------------------------------------------------


def _col(db, sid, col):
    return db.read(lambda tx: tx.scalar(f"SELECT {col} FROM stats WHERE id = ?", (sid,)))


def _token(client):
    return csrf_token(client, "/settings")


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_kept_bucket_edges_match_fresh_ones_across_boundaries_and_dst(tz):
    from app.interactors import reading
    from app.timeframes import bucket_ends

    reading._EDGES.clear()
    # Around the US and Lord Howe DST changes of 2026, on and off bucket boundaries.
    moments = [NOW, 1772953200, 1793512800, 1775318400, 1791043200]
    nows = sorted({m + d for m in moments for d in (-86400, -3601, -61, -1, 0, 1, 59, 3599, 7200, 86400)})
    for code in graphs.FIXED:
        tf = graphs.window(None, {}, code, NOW).tf
        for now in nows + nows:   # the second pass is served from the kept edges
            starts = buckets(tf, now, tz)
            assert reading._edges(tf, now, tz, None) == (starts, bucket_ends(starts, tf, tz)), (code, now)
    for start in (NOW - 400 * DAY, NOW - 3 * DAY - 17):
        win = graphs.all_window(start, NOW)
        for now in (NOW, NOW + 1, NOW + win.step, NOW + win.step + 1):
            starts = buckets(win.tf, now, tz, win.start)
            assert reading._edges(win.tf, now, tz, win.start) == (starts, bucket_ends(starts, win.tf, tz))


def test_the_headline_says_why_it_differs_from_the_summary_row(signed_in, web, db, account, signups):
    # A point inside the graph's week (which starts at the hour, a week ago) but before the row's first
    # whole day: the headline counts it, "Last week" does not, and the page says why.
    record(db, account, [EzItem(stat="signups", count=7, t=NOW - 7 * DAY + 7200)])
    body = signed_in.get(f"/stats/{signups}", headers=JSON).get_json()
    week = next(r for r in body["summary"] if r["period"] == "week")
    assert body["shown"]["value"] == 17 and week["total"] == 10
    assert body["summary_note"] == {"label": "Last week", "graph_start": body["timeframe"]["start"],
                                    "row_start": week["start"], "per": "day"}
    html = signed_in.get(f"/stats/{signups}").get_data(as_text=True)
    assert "Why the headline differs from “Last week”" in html and "whole days from Nov 18 00:00" in html
    agree = signed_in.get(f"/stats/{signups}?tf=1d", headers=JSON).get_json()
    assert agree["summary_note"] is None   # a day: the same window, the same total
    post(signed_in, f"/stats/{signups}/public", {"public": "1"}, htmx=True)
    key = stat_row(db, account.id, "signups")["embed_key"]
    public = web.get(f"/s/{key}")
    assert public.status_code == 200 and "Why the headline differs" in public.get_data(as_text=True)


def test_custom_ranges_agree_between_the_page_and_its_downloads(signed_in, latency):
    start, end = NOW - 3600, NOW - 60
    page = signed_in.get(f"/stats/{latency}?start={start}&end={end}", headers=JSON).get_json()
    assert page["timeframe"]["code"] == "custom" and page["timeframe"]["args"] == {"start": start, "end": end}
    csv = signed_in.get(f"/stats/{latency}/data.csv?start={start}&end={end}").get_data(as_text=True).splitlines()
    assert [int(line.split(",")[0]) for line in csv[1:]] == [p["time"] for p in page["points"]]
    two = signed_in.get(f"/stats/{latency}?tf=2h5m", headers=JSON).get_json()
    assert two["timeframe"]["step"] == 300 and len(two["points"]) in (24, 25)
    auto = signed_in.get(f"/stats/{latency}?tf=2d", headers=JSON).get_json()
    assert auto["timeframe"]["code"] == "2d" and 100 <= len(auto["points"]) <= 300
