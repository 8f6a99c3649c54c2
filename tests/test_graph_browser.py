"""Explorable graphs in a real headless Chromium (static/graph.js): hover shows the values, arrow keys
step through the points, a drag zooms in and pushes a URL the server answers with that range."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from app.interactors.accounts import create_account
from app.interactors.ingest import EzItem, record_ez
from tests.helpers import stat_row

pytestmark = pytest.mark.browser


def _latency(db):
    now = int(time.time())   # the live server runs on the real clock
    now -= now % 300
    acc = create_account(db, "hover@example.com", "hover-password", now)
    # A reading every 5 minutes for a day: 100 ms at the top of each hour, 200 ms otherwise.
    items = [EzItem(stat="latency", value=100.0 if (now - t) % 3600 == 0 else 200.0, t=t)
             for t in range(now - 2 * 86400, now, 300)]
    record_ez(db, acc.ezkey, items, now, bulk=True)
    db.run(lambda tx: tx.execute("UPDATE stats SET unit = 'ms' WHERE account_id = ?", (acc.id,)))
    return acc, stat_row(db, acc.id, "latency")["id"]


def _log_in(browser, base, viewport=None):
    ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill("hover@example.com")
    page.get_by_label("Password").fill("hover-password")
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(base + "/login")
    return ctx, page


def _plot_box(page):
    """The plot area of the stat page's graph, in page pixels (from the SVG's data island)."""
    return page.evaluate("""() => {
        const svg = document.querySelector('#stat-graph svg');
        const data = JSON.parse(svg.querySelector('metadata.eyrie-data').textContent);
        const m = svg.getScreenCTM(), p = svg.createSVGPoint();
        p.x = data.plot[0]; p.y = data.plot[1]; const a = p.matrixTransform(m);
        p.x = data.plot[0] + data.plot[2]; p.y = data.plot[1] + data.plot[3]; const b = p.matrixTransform(m);
        return {x0: a.x, y0: a.y, x1: b.x, y1: b.y, t0: data.t0, t1: data.t1};
    }""")


def test_hover_shows_the_time_and_each_series_value_with_its_unit(browser, live_server, db):
    _, stat = _latency(db)
    ctx, page = _log_in(browser, live_server)
    page.goto(f"{live_server}/stats/{stat}?tf=1d")
    box = _plot_box(page)
    tip = page.locator("#stat-graph .graph-tip")
    expect(tip).to_be_hidden()
    page.mouse.move(box["x0"] + (box["x1"] - box["x0"]) * 0.5, (box["y0"] + box["y1"]) / 2)
    expect(tip).to_be_visible()
    # Five-minute buckets: one holds a single reading, 100 or 200 ms; the previous day's line too.
    expect(tip).to_contain_text("latency")
    expect(tip).to_contain_text("previous day")
    text = tip.inner_text()
    assert "100 ms" in text or "200 ms" in text, text
    assert re.search(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d+, \d\d:\d\d", text), text
    page.mouse.move(5, 5)   # off the graph: the tooltip goes
    expect(tip).to_be_hidden()
    ctx.close()


def test_arrow_keys_step_through_the_points(browser, live_server, db):
    _, stat = _latency(db)
    ctx, page = _log_in(browser, live_server)
    page.goto(f"{live_server}/stats/{stat}?tf=1d&compare=0")
    graph = page.locator("#stat-graph")
    graph.focus()
    tip = graph.locator(".graph-tip")
    expect(tip).to_be_visible()
    last = tip.locator(".graph-tip-time").inner_text()
    graph.press("ArrowLeft")
    before = tip.locator(".graph-tip-time").inner_text()
    assert before != last   # one bucket earlier: five minutes before
    expect(graph.locator("[aria-live]")).to_contain_text("latency")
    graph.press("Home")
    assert tip.locator(".graph-tip-time").inner_text() not in (before, last)
    ctx.close()


def test_a_drag_zooms_into_the_range_and_pushes_its_url(browser, live_server, db):
    _, stat = _latency(db)
    ctx, page = _log_in(browser, live_server)
    page.goto(f"{live_server}/stats/{stat}?tf=1d")
    box = _plot_box(page)
    y = (box["y0"] + box["y1"]) / 2
    w = box["x1"] - box["x0"]
    page.mouse.move(box["x0"] + w * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x0"] + w * 0.4, y, steps=5)
    page.mouse.move(box["x0"] + w * 0.5, y, steps=5)
    page.mouse.up()
    page.wait_for_url("**/stats/*start=*end=*")
    q = parse_qs(urlparse(page.url).query)
    start, end = int(q["start"][0]), int(q["end"][0])
    span = box["t1"] - box["t0"]
    assert abs(start - (box["t0"] + span * 0.25)) < span * 0.02 and abs(end - (box["t0"] + span * 0.5)) < span * 0.02
    # The server drew that range (a custom range label, no timeframe tab current) without a full reload.
    expect(page.locator("#stat-view")).to_contain_text("custom range @")
    expect(page.locator('nav.tabs a[aria-current="true"]')).to_have_count(0)
    # The download links ask for the same range.
    csv = page.locator("#stat-view a", has_text="CSV").get_attribute("href")
    assert f"start={start}" in csv and f"end={end}" in csv
    page.go_back()
    expect(page.locator('nav.tabs a[aria-current="true"]')).to_have_text("1 day")
    ctx.close()


def test_a_tap_on_a_phone_shows_the_values(browser, live_server, db):
    _, stat = _latency(db)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = ctx.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("hover@example.com")
    page.get_by_label("Password").fill("hover-password")
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(live_server + "/login")
    page.goto(f"{live_server}/stats/{stat}?tf=1d")
    # On a phone the page redraws its graph once for the width it is shown at (app.js): tap that one,
    # once graph.js has bound it (htmx:load comes after the settle, a moment after the swap).
    page.wait_for_function("""() => { const v = document.getElementById('stat-view');
        const box = v && v.querySelector('[data-graph-box]'); const drawn = Number(v && v.dataset.graphWidth);
        const graph = v && v.querySelector('[data-graph]');
        return box && drawn && graph && graph.eyrieGraph && Math.abs(box.clientWidth - drawn) / drawn <= 0.2; }""")
    box = _plot_box(page)
    page.touchscreen.tap(box["x0"] + (box["x1"] - box["x0"]) * 0.7, (box["y0"] + box["y1"]) / 2)
    tip = page.locator("#stat-graph .graph-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(" ms")
    assert "start=" not in page.url   # a tap is not a zoom
    ctx.close()


def test_the_public_page_and_dashboard_tiles_hover_too(browser, live_server, db):
    from app.interactors import dashboards as dash
    from app.interactors.accounts import get_account

    acc, stat = _latency(db)
    db.run(lambda tx: tx.execute("UPDATE stats SET public = 1 WHERE id = ?", (stat,)))
    key = stat_row(db, acc.id, "latency")["embed_key"]
    board = dash.create_dashboard(db, acc.id, "Ops", int(time.time()))
    dash.add_tile(db, get_account(db, acc.id), board, [str(stat)], "1d", "2", "", int(time.time()))
    ctx, page = _log_in(browser, live_server)
    for url, graph in ((f"{live_server}/s/{key}", "#stat-graph"), (f"{live_server}/dashboards/{board}", ".tile-graph")):
        page.goto(url)
        svg = page.locator(f"{graph} svg").first
        bb = svg.bounding_box()
        page.mouse.move(bb["x"] + bb["width"] * 0.5, bb["y"] + bb["height"] * 0.4)
        expect(page.locator(f"{graph} .graph-tip").first).to_contain_text("latency")
    ctx.close()


def test_analysis_disables_the_sixth_box_and_zooms_keeping_the_selection(browser, live_server, db):
    acc, stat = _latency(db)
    now = int(time.time())
    record_ez(db, acc.ezkey, [EzItem(stat=f"s{i}", value=float(i), t=now - 60 * k) for i in range(6) for k in (1, 90)],
              now, bulk=True)
    ctx, page = _log_in(browser, live_server)
    page.goto(f"{live_server}/analyze?s={stat}&tf=1d")
    boxes = {name: page.locator(f'#stat-picker input[value="{stat_row(db, acc.id, name)["id"]}"]')
             for name in ("s0", "s1", "s2", "s3", "s4")}
    for name in ("s0", "s1", "s2", "s3"):
        boxes[name].check()
        expect(page.locator("#analysis-graph .overlay-stats")).to_contain_text(name)
    expect(boxes["s4"]).to_be_disabled()   # five ticked: the others wait, the graph stays
    expect(page.locator("#analysis-graph svg.eyrie-graph")).to_be_visible()
    boxes["s0"].uncheck()
    expect(boxes["s4"]).to_be_enabled()
    expect(page.locator("#analysis-graph .overlay-stats")).not_to_contain_text("s0")
    # A drag across the overlay zooms it; the URL keeps the stats and gets the range. The graph was
    # just swapped in: drag it once graph.js has bound it (htmx:load follows the settle).
    page.wait_for_function("""() => { const g = document.querySelector('#analysis-graph [data-graph]');
        return g && g.eyrieGraph; }""")
    svg = page.locator("#analysis-graph svg.eyrie-graph")
    bb = svg.bounding_box()
    y = bb["y"] + bb["height"] * 0.4
    page.mouse.move(bb["x"] + bb["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(bb["x"] + bb["width"] * 0.6, y, steps=6)
    page.mouse.up()
    page.wait_for_url("**/analyze?*start=*")
    q = parse_qs(urlparse(page.url).query)
    assert str(stat) in q["s"] and len(q["s"]) == 4 and int(q["end"][0]) > int(q["start"][0])
    expect(page.locator("#analysis-graph")).to_contain_text("@")
    assert not page.locator('input[name="tf"]:checked').count()
    # Ticking another stat keeps the zoomed range (the form carries start/end); a timeframe drops it.
    boxes["s0"].check()
    expect(page.locator("#analysis-graph .overlay-stats")).to_contain_text("s0")
    assert f"start={q['start'][0]}" in page.url
    page.locator("label", has_text="1w").click()
    expect(page).to_have_url(re.compile(r"tf=1w"))
    assert "start=" not in page.url
    ctx.close()
