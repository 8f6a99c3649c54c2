"""What a person does in a real Chromium: paste a snippet, watch a stat live, use the keyboard."""

from __future__ import annotations

import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.helpers import stat_row
from tests.support.pages import seed_account, sign_in

pytestmark = pytest.mark.browser


def _first_command(snippet: str) -> str:
    """The first command of a shell snippet: its comment dropped, backslash continuations joined."""
    lines = []
    for line in snippet.strip().splitlines():
        if not line.strip():
            if lines:
                break
            continue
        if not line.lstrip().startswith("#"):
            lines.append(line)
    return "\n".join(lines)


def _minute_total(db, stat_id: int) -> float:
    return db.read(lambda tx: tx.scalar("SELECT COALESCE(SUM(total), 0) FROM rollups WHERE stat_id = ? AND res = 60",
                                        (stat_id,)))


def test_the_docs_curl_line_works_as_pasted_on_a_non_default_port(browser, live_server, db):
    """The server runs on a random port, not 8000: the docs page's curl line must point at it."""
    now = int(time.time())
    ids = seed_account(db, now)
    page = browser.new_page()
    sign_in(page, live_server)
    page.goto(live_server + "/docs")
    expect(page.locator("#doc-base")).to_have_text(live_server)
    command = _first_command(page.locator("#panel-curl pre").first.inner_text())
    assert live_server + "/ez" in command and "8000" not in live_server
    stat = stat_row(db, ids["account_id"], "signups")
    before = _minute_total(db, stat["id"])
    out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out   # curl reached the server; what it stored is the real check
    assert _minute_total(db, stat["id"]) == before + 1
    page.close()


def test_the_empty_state_curl_line_works_as_pasted(browser, live_server, db):
    from tests.test_browser import sign_up

    page = browser.new_page()
    sign_up(page, live_server, "paste@example.com", "paste-password")
    command = page.locator("#first-snippet").inner_text()
    assert live_server + "/ez" in command
    out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out
    account_id = db.read(lambda tx: tx.scalar("SELECT id FROM accounts WHERE email = 'paste@example.com'"))
    assert stat_row(db, account_id, "signups")["kind"] == "counter"
    page.reload()
    expect(page.locator("#stat-rows")).to_contain_text("signups")
    page.close()


@pytest.fixture
def quick_server(config, db):
    """The production apps with live pages redrawing every second (people get a minute)."""
    import dataclasses
    import threading

    from werkzeug.serving import make_server

    from app.ingest import create_ingest_app
    from app.web import create_web_app
    from app.wsgi import Router

    fast = dataclasses.replace(config, live_refresh=1)
    srv = make_server("127.0.0.1", 0, Router(create_web_app(fast, db), create_ingest_app(fast, db)), threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def test_the_stat_page_shows_a_new_point_without_a_reload(browser, quick_server, db):
    from app.interactors.accounts import create_account
    from app.interactors.ingest import EzItem, record_ez

    now = int(time.time())
    acct = create_account(db, "live@example.com", "live-password", now)
    record_ez(db, acct.email, [EzItem(stat="orders", count=5, t=now - 60)], now, bulk=True)
    sid = stat_row(db, acct.id, "orders")["id"]
    page = browser.new_page()
    page.goto(quick_server + "/login")
    page.get_by_label("Email").fill("live@example.com")
    page.get_by_label("Password").fill("live-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{quick_server}/stats/{sid}?tf=1h")
    headline = page.locator("#stat-view .headline-value")
    expect(headline).to_have_text("5")
    page.evaluate("window.__stayed = true")
    out = subprocess.run(["curl", "-s", "-d", "ezkey=live@example.com&stat=orders&count=37", quick_server + "/ez"],
                         capture_output=True, timeout=20)
    assert out.returncode == 0
    expect(headline).to_have_text("42", timeout=10_000)
    expect(page.locator("#stat-graph svg")).to_be_visible()
    assert page.evaluate("window.__stayed === true")            # no reload happened
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    page.close()


def test_a_dashboard_says_when_it_is_stale_and_counts_added_tiles(browser, live_server, db):
    from app.interactors import dashboards as dash
    from tests.test_dashboard_browser import board_with, log_in

    now = int(time.time())
    account, board, [tile] = board_with(db, "stale@example.com", ["orders"], now)
    dash.set_refresh(db, account, board, "1", now, minimum=1)
    page = log_in(browser, live_server, "stale@example.com", "board-password")
    page.goto(f"{live_server}/dashboards/{board}")
    expect(page.locator("#board-note")).to_contain_text("1 tile ·")
    expect(page.locator(f"#tile-{tile} [data-updated]")).to_contain_text("updated")
    expect(page.locator("[data-stale-note]")).to_be_hidden()
    # Adding a tile updates the count beside the title.
    page.get_by_text("Add a tile").click()
    page.locator("#add-tile").get_by_label("orders").check()
    page.get_by_role("button", name="Add tile", exact=True).click()
    expect(page.locator("#tile-grid > .tile")).to_have_count(2)
    expect(page.locator("#board-note")).to_contain_text("2 tiles ·")
    # The server stops answering: after two refresh periods the tiles and the board say so.
    page.route("**/tiles/**", lambda route: route.abort())
    expect(page.locator(f"#tile-{tile} [data-updated]")).to_contain_text("stale: no answer since", timeout=10_000)
    expect(page.locator("[data-stale-note]")).to_be_visible()
    # ...and once it answers again, the tiles are fresh.
    page.unroute("**/tiles/**")
    expect(page.locator(f"#tile-{tile} [data-updated]")).to_contain_text("updated", timeout=10_000)
    expect(page.locator("[data-stale-note]")).to_be_hidden(timeout=5_000)
    page.close()


def test_tv_mode_fills_a_1920_by_1080_screen(browser, live_server, db, artifacts):
    from tests.test_dashboard_browser import _screenshot_board

    board, token = _screenshot_board(db, int(time.time()))
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = ctx.new_page()
    page.goto(f"{live_server}/d/{token}/tv")
    expect(page.locator("#tile-grid > .tile")).to_have_count(5)
    page.screenshot(path=str(artifacts / "tv-1920-dark.png"))
    box = page.locator("#tile-grid").bounding_box()
    assert box["y"] + box["height"] >= 1080 - 40          # the tiles reach the bottom of the screen
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080   # and nothing scrolls
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    ctx.close()


def test_a_bad_embed_key_shows_a_placeholder_not_a_broken_image(browser, live_server):
    page = browser.new_page()
    page.set_content(f'<img id="g" src="{live_server}/embed/graph/nosuchkeyatall0000000.svg?w=400&h=150">')
    page.wait_for_function("document.getElementById('g').complete")
    assert page.evaluate("document.getElementById('g').naturalWidth") == 400   # drawn, not the broken icon
    page.close()


def test_delete_selected_with_nothing_selected_says_so_first(browser, live_server, db):
    ids = seed_account(db, int(time.time()))
    page = browser.new_page()
    sign_in(page, live_server)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.on("dialog", lambda d: posts.append("dialog") or d.dismiss())
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("#select-first")).to_have_text("Select the stats to delete first.")
    assert posts == []                                   # no confirm dialog, nothing sent
    assert stat_row(db, ids["account_id"], "page views")["deleted_at"] is None
    page.close()


def test_on_a_phone_the_stat_graph_is_drawn_for_its_shown_width(browser, live_server, db):
    import re

    ids = seed_account(db, int(time.time()))
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/stats/{ids['stat_id']}")
    # First drawn at the desktop width, then redrawn once for the ~330 px the phone shows it at.
    expect(page.locator("#stat-view")).to_have_attribute("data-graph-width", re.compile(r"^[23]\d\d$"))
    shown = page.evaluate("document.querySelector('#stat-graph').clientWidth")
    drawn = int(page.locator("#stat-view").get_attribute("data-graph-width"))
    assert abs(shown - drawn) <= 2
    view_box = page.evaluate("document.querySelector('#stat-graph svg').viewBox.baseVal.width")
    assert abs(view_box - shown) <= 2                  # one SVG unit is one pixel: axis text at its set size
    expect(page).to_have_url(f"{live_server}/stats/{ids['stat_id']}")   # no w= in the address bar
    ctx.close()


def test_edit_and_pause_an_alert_in_the_browser(browser, live_server, db):
    seed_account(db, int(time.time()))
    row = lambda: db.read(lambda tx: tx.one("SELECT threshold, paused FROM alerts"))   # noqa: E731
    page = browser.new_page()
    sign_in(page, live_server)
    page.goto(live_server + "/alerts")
    expect(page.locator(".alert-state")).to_have_text("not checked yet")
    page.get_by_role("link", name="Edit alert").click()
    threshold = page.locator(".alert-edit input[name=threshold]")
    expect(page.locator(".alert-edit .unit-suffix")).to_contain_text("ms")
    threshold.fill("lots")
    page.get_by_role("button", name="Save alert").click()
    expect(threshold).to_have_attribute("aria-invalid", "true")
    expect(threshold).to_be_focused()
    expect(page.locator(".alert-edit .field-error")).to_have_text("threshold must be a number")
    assert row()["threshold"] == 250
    threshold.fill("300")
    page.get_by_role("button", name="Save alert").click()
    expect(page.locator("#alerts-page")).to_contain_text("Alert saved.")
    expect(page.locator("#alerts-page")).to_contain_text("is greater than 300 ms")
    assert row()["threshold"] == 300
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".alert-state")).to_have_text("paused")
    assert row()["paused"] == 1
    page.get_by_role("button", name="Resume").click()
    expect(page.locator(".alert-state")).to_have_text("not checked yet")
    assert row()["paused"] == 0
    page.close()
