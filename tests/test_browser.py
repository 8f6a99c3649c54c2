"""Real headless Chromium against a real server: what a person does, end to end."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
import requests
from playwright.sync_api import expect

from app.config import ROOT
from tests.helpers import stat_row

pytestmark = pytest.mark.browser


def sign_up(page, base: str, email: str = "eve@example.com", password: str = "eve-password"):
    page.goto(base + "/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Send your first number")).to_be_visible()


def test_sign_up_post_through_ez_and_see_the_stat_appear(browser, live_server, db):
    page = browser.new_page()
    sign_up(page, live_server)
    # The empty state shows a snippet with this account's real key and this server's URL.
    expect(page.locator("#first-snippet")).to_contain_text("ezkey=eve@example.com")
    r = requests.post(live_server + "/ez", data={"ezkey": "eve@example.com", "stat": "browser signups", "count": 3})
    assert r.status_code == 200
    requests.post(live_server + "/ez", data={"ezkey": "eve@example.com", "stat": "cpu load", "value": 0.5})
    page.reload()
    expect(page.locator("#stat-rows")).to_contain_text("browser signups")
    expect(page.locator("#stat-rows")).to_contain_text("cpu load")
    # Search as you type swaps the rows and keeps the URL in step.
    page.get_by_label("Search stats").press_sequentially("cpu", delay=30)
    expect(page.locator("#stat-rows")).not_to_contain_text("browser signups")
    expect(page.locator("#stat-rows")).to_contain_text("cpu load")
    expect(page).to_have_url(live_server + "/?q=cpu&sort=name")
    account_id = db.read(lambda tx: tx.scalar("SELECT id FROM accounts WHERE email = 'eve@example.com'"))
    assert stat_row(db, account_id, "browser signups")["kind"] == "counter"
    page.close()


def test_delete_selected_and_restore_from_the_trash(browser, live_server, db):
    page = browser.new_page()
    sign_up(page, live_server, "del@example.com")
    for name in ("keep me", "drop me"):
        requests.post(live_server + "/ez", data={"ezkey": "del@example.com", "stat": name, "count": 1})
    page.reload()
    page.get_by_label("Select drop me").check()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("#stats")).to_contain_text("Moved 1 stat to the trash.")
    expect(page.locator("#stat-rows")).not_to_contain_text("drop me")
    account_id = db.read(lambda tx: tx.scalar("SELECT id FROM accounts WHERE email = 'del@example.com'"))
    assert stat_row(db, account_id, "drop me")["deleted_at"] is not None
    page.get_by_role("link", name="Trash").click()
    page.get_by_role("button", name="Restore").click()
    expect(page.locator("#trash")).to_contain_text("Restored.")
    assert stat_row(db, account_id, "drop me")["deleted_at"] is None
    page.close()


def test_hot_reload_shows_a_partial_edit_without_a_manual_reload(browser, config, tmp_path):
    """dev_server.py on a temp copy of the templates: edit a partial, the open page changes."""
    from dataclasses import replace

    from werkzeug.serving import make_server

    import dev_server

    root = tmp_path / "tree"
    for d in ("layouts", "partials", "static"):
        shutil.copytree(ROOT / d, root / d)
    _, _, app, observer = dev_server.build(replace(config, dev=True), template_root=root)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    try:
        page = browser.new_page()
        page.goto(base + "/login")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        page.wait_for_timeout(300)  # let the reload stream connect
        login = root / "partials" / "accounts" / "login.html"
        login.write_text(login.read_text().replace("<h1>Log in</h1>", "<h1>Welcome back</h1>"))
        expect(page.get_by_role("heading", name="Welcome back")).to_be_visible(timeout=10000)
        # A syntax error shows in the page instead of crashing the server...
        login.write_text(login.read_text().replace("<h1>Welcome back</h1>", "<h1>{% if %}</h1>"))
        expect(page.get_by_role("heading", name="Template error")).to_be_visible(timeout=10000)
        expect(page.locator("pre")).to_contain_text("TemplateSyntaxError")
        # ...and fixing it brings the page back, still without a manual reload.
        login.write_text(login.read_text().replace("<h1>{% if %}</h1>", "<h1>Fixed</h1>"))
        expect(page.get_by_role("heading", name="Fixed")).to_be_visible(timeout=10000)
        page.close()
    finally:
        srv.shutdown()
        observer.stop()


def test_screenshots_of_the_stats_list_light_and_dark(browser, live_server, db, artifacts):
    from app.interactors.accounts import create_account
    from app.interactors.demo import sample_items
    from app.interactors.ingest import record_ez

    now = int(time.time())
    create_account(db, "shots@example.com", "shots-password", now)
    items = sample_items(now, days=2)
    for i in range(0, len(items), 5000):
        record_ez(db, "shots@example.com", items[i:i + 5000], now, bulk=True)
    for scheme in ("light", "dark"):
        ctx = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        page.goto(live_server + "/login")
        page.get_by_label("Email").fill("shots@example.com")
        page.get_by_label("Password").fill("shots-password")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#stat-rows")).to_contain_text("temperature tokyo")
        path = artifacts / f"stats-list-{scheme}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10000
        ctx.close()


def test_stat_page_timeframes_back_rename_delete_restore_and_screenshots(browser, live_server, db, artifacts):
    from app.interactors.accounts import create_account
    from app.interactors.demo import sample_items
    from app.interactors.ingest import record_ez

    now = int(time.time())
    acct = create_account(db, "pages@example.com", "pages-password", now)
    items = [i for i in sample_items(now, days=3) if i.stat == "page views"]
    record_ez(db, acct.email, items, now, bulk=True)
    sid = stat_row(db, acct.id, "page views")["id"]
    for scheme in ("light", "dark"):
        ctx = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.goto(live_server + "/login")
        page.get_by_label("Email").fill("pages@example.com")
        page.get_by_label("Password").fill("pages-password")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="page views").click()
        expect(page).to_have_url(f"{live_server}/stats/{sid}")
        expect(page.locator("#stat-graph svg")).to_be_visible()
        page.screenshot(path=str(artifacts / f"stat-page-{scheme}.png"), full_page=True)
        ctx.close()

    page = browser.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("pages@example.com")
    page.get_by_label("Password").fill("pages-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/stats/{sid}")
    page.evaluate("window.__stayed = true")  # survives only if no full page load happens
    # Switching timeframes swaps the graph in place and pushes the URL...
    page.get_by_role("navigation", name="Timeframe").get_by_role("link", name="1 day").click()
    expect(page).to_have_url(f"{live_server}/stats/{sid}?tf=1d")
    expect(page.locator("#stat-view .graph-range")).to_contain_text("1 day @ 5 minutes")
    page.get_by_role("navigation", name="Timeframe").get_by_role("link", name="1 hour").click()
    expect(page).to_have_url(f"{live_server}/stats/{sid}?tf=1h")
    expect(page.locator("#stat-view .graph-range")).to_contain_text("1 hour @ 1 minute")
    assert page.evaluate("window.__stayed === true")
    # ...and back goes to the previous timeframe.
    page.go_back()
    expect(page).to_have_url(f"{live_server}/stats/{sid}?tf=1d")
    expect(page.locator("#stat-view .graph-range")).to_contain_text("1 day @ 5 minutes")
    # Rename: the title follows and the stored name changes.
    page.locator("#stat-name-form input[name=name]").fill("visits")
    page.locator("#stat-name-form").get_by_role("button", name="Rename").click()
    expect(page.locator("#stat-title")).to_have_text("visits")
    assert stat_row(db, acct.id, "visits")["id"] == sid
    # Delete from the stat page, then restore it from the trash.
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete stat").click()
    expect(page).to_have_url(live_server + "/")
    assert stat_row(db, acct.id, "visits")["deleted_at"] is not None
    page.goto(live_server + "/trash")
    page.get_by_role("button", name="Restore").click()
    expect(page.locator("#trash")).to_contain_text("Restored.")
    assert stat_row(db, acct.id, "visits")["deleted_at"] is None
    page.close()
