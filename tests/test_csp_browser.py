"""The Content-Security-Policy in real headless Chromium: what moved out of inline scripts and hx-on
attributes into static/ still works, app pages refuse to be framed by another site, embeds do not.
(tests/conftest.py fails any browser test on a CSP violation on the console.)"""

from __future__ import annotations

import functools
import http.server
import threading
import time

import pytest
from playwright.sync_api import expect

from app.interactors import dashboards as dash
from app.interactors.accounts import create_account, get_account
from app.interactors.ingest import EzItem, record_ez
from tests.helpers import stat_row

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "csp@example.com", "csp-password"


@pytest.fixture
def stats(db):
    now = int(time.time())
    acc = create_account(db, EMAIL, PASSWORD, now)
    record_ez(db, acc.ezkey, [EzItem(stat=n, count=i + 1, t=now - 60) for i, n in enumerate(("visits", "sales"))],
              now, bulk=True)
    db.run(lambda tx: tx.execute("UPDATE stats SET public = 1 WHERE name = 'visits'"))
    return {n: stat_row(db, acc.id, n) for n in ("visits", "sales")}


@pytest.fixture
def other_origin(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def log_in(browser, base: str):
    page = browser.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(base + "/login")
    return page


def test_sign_up_preselects_the_browsers_timezone_from_app_js(browser, live_server):
    page = browser.new_context(timezone_id="Asia/Tokyo").new_page()
    page.goto(live_server + "/signup")
    expect(page.locator("#timezone")).to_have_value("Asia/Tokyo")
    page.close()


def test_analysis_draws_on_a_tick_but_not_on_typing_in_the_filter(browser, live_server, stats):
    page = log_in(browser, live_server)
    page.goto(live_server + "/analyze")
    graph_requests = []
    page.on("request", lambda r: r.url.split("?")[0].endswith("/analyze") and graph_requests.append(r.url))
    page.locator("#stat-q").press_sequentially("vis", delay=30)
    expect(page.locator("#stat-picker")).not_to_contain_text("sales")   # the picker filtered...
    page.wait_for_timeout(300)
    assert graph_requests == []                                        # ... and the graph was not asked for
    page.locator("#stat-picker").get_by_label("visits").check()
    expect(page.locator("#analysis-graph svg")).to_have_count(1)
    assert len(graph_requests) == 1 and f"s={stats['visits']['id']}" in graph_requests[0]
    page.close()


def test_a_refused_alert_shows_its_error_in_the_panel(browser, live_server, stats):
    page = log_in(browser, live_server)
    page.goto(f"{live_server}/stats/{stats['visits']['id']}")
    page.get_by_text("Add an alert").click()
    page.locator("#alert-threshold").fill("lots")
    page.locator(".alert-form button[type=submit]").click()
    expect(page.locator(".alert-form .form-error")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/stats/{stats['visits']['id']}")
    page.close()


def test_the_add_tile_link_opens_the_form(browser, live_server, db, stats):
    account = get_account(db, stats["visits"]["account_id"])
    board = dash.create_dashboard(db, account["id"], "Live", int(time.time()))
    dash.add_tile(db, account, board, [str(stats["visits"]["id"])], "1h", "1", "", int(time.time()))
    page = log_in(browser, live_server)
    page.goto(f"{live_server}/dashboards/{board}")
    expect(page.locator("#add-tile")).not_to_have_attribute("open", "")
    page.get_by_role("link", name="Add tile").click()
    expect(page.locator("#add-tile")).to_have_attribute("open", "")
    page.close()


def test_another_site_cannot_frame_an_app_page_but_can_frame_embeds(browser, live_server, stats, other_origin,
                                                                    _no_csp_violations):
    root, origin = other_origin
    key = stats["visits"]["embed_key"]
    (root / "frames.html").write_text(
        f'<!doctype html><iframe id="app" src="{live_server}/login"></iframe>'
        f'<iframe id="embed" src="{live_server}/embed/graph/{key}?w=300&h=120"></iframe>'
        f'<iframe id="public" src="{live_server}/s/{key}"></iframe>')
    page = browser.new_page()
    page.goto(origin + "/frames.html")
    embed = page.frame_locator("#embed")
    expect(embed.locator("svg")).to_have_count(1)
    expect(page.frame_locator("#public").locator("#stat-title")).to_have_text("visits")
    page.wait_for_timeout(500)
    # The login page never rendered in the frame: Chromium refused it for the policy's frame-ancestors.
    refused = [m for m in _no_csp_violations if "frame-ancestors 'none'" in m]
    assert len(refused) == 1 and f"Framing '{live_server}/'" in refused[0], _no_csp_violations
    _no_csp_violations[:] = [m for m in _no_csp_violations if m not in refused]   # expected, not a failure
    assert page.frame_locator("#app").locator("form").count() == 0
    page.close()


def test_tiles_poll_only_while_the_page_is_visible_and_no_drag_is_on(browser, live_server, db, stats):
    """The pause that was an hx-trigger filter (eval) is a listener in dashboards.js now."""
    now = int(time.time())
    account = get_account(db, stats["visits"]["account_id"])
    board = dash.create_dashboard(db, account["id"], "Live", now)
    dash.add_tile(db, account, board, [str(stats["visits"]["id"])], "1h", "1", "", now)
    dash.set_refresh(db, account, board, "1", now, minimum=1)
    page = log_in(browser, live_server)
    polls = []
    page.on("request", lambda r: "/tiles/" in r.url and polls.append(r.url))
    page.goto(f"{live_server}/dashboards/{board}")

    def polls_during(ms: int) -> int:
        start = len(polls)
        page.wait_for_timeout(ms)
        return len(polls) - start

    assert polls_during(2500) >= 1                        # visible: every second
    page.evaluate("window.eyrieDragging = true")
    page.wait_for_timeout(300)
    assert polls_during(2500) == 0                        # a drag is on
    page.evaluate("window.eyrieDragging = false")
    assert polls_during(2500) >= 1
    page.evaluate("Object.defineProperty(document, 'visibilityState', {get: () => 'hidden', configurable: true})")
    page.wait_for_timeout(300)
    assert polls_during(2500) == 0                        # a hidden tab
    before = len(polls)
    page.evaluate("Object.defineProperty(document, 'visibilityState', {get: () => 'visible', configurable: true});"
                  "document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(400)
    assert len(polls) > before                            # back in view: polling again
    page.close()
