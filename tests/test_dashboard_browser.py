"""Dashboards in a real headless Chromium: tiles redraw themselves, drag and drop, keyboard buttons, screenshots."""

from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import expect

from app.interactors import dashboards as dash
from app.interactors.accounts import create_account, get_account
from app.interactors.ingest import EzItem, record_ez
from tests.helpers import stat_row

pytestmark = pytest.mark.browser


def log_in(ctx_or_browser, base: str, email: str, password: str):
    page = ctx_or_browser.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(base + "/login")
    return page


def board_with(db, email: str, names: list[str], now: int) -> tuple[dict, int, list[int]]:
    """An account with a counter per name (1, 2, 3, ...) and a dashboard with one 1h tile for each."""
    acc = create_account(db, email, "board-password", now)
    record_ez(db, acc.ezkey, [EzItem(stat=n, count=i + 1, t=now - 30) for i, n in enumerate(names)], now, bulk=True)
    account = get_account(db, acc.id)
    board = dash.create_dashboard(db, acc.id, "Live", now)
    for n in names:
        dash.add_tile(db, account, board, [str(stat_row(db, acc.id, n)["id"])], "1h", "1", "", now)
    return account, board, tile_ids(db, board)


def tile_ids(db, board: int) -> list[int]:
    return [r["id"] for r in db.read(lambda tx: tx.all(
        "SELECT id FROM dashboard_tiles WHERE dashboard_id = ? ORDER BY position, id", (board,)))]


def tile_rows(db, board: int) -> list[tuple[int, int, int]]:
    return [(r["id"], r["position"], r["size"]) for r in db.read(lambda tx: tx.all(
        "SELECT id, position, size FROM dashboard_tiles WHERE dashboard_id = ? ORDER BY position, id", (board,)))]


def settled(page) -> None:
    """htmx puts the focus back at swap time but wires the new buttons up when the swap settles (20 ms
    later): a key pressed in between would click a button that does nothing yet."""
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-request")).to_have_count(0)


def shown_order(page) -> list[int]:
    return [int(i) for i in page.locator("#tile-grid > .tile").evaluate_all("els => els.map(e => e.dataset.tileId)")]


def test_a_tile_redraws_itself_when_new_data_arrives_without_a_page_reload(browser, live_server, db):
    now = int(time.time())
    account, board, [tile] = board_with(db, "watch@example.com", ["orders"], now)
    dash.set_refresh(db, account, board, "1", now, minimum=1)   # a test-only interval: people get 10 s at least
    page = log_in(browser, live_server, "watch@example.com", "board-password")
    page.goto(f"{live_server}/dashboards/{board}")
    figure = page.locator(f"#tile-{tile} [data-figure]")
    expect(figure).to_have_text("1")
    page.evaluate("window.eyrieMarker = 'same page'")

    r = requests.post(live_server + "/ez", data={"ezkey": "watch@example.com", "stat": "orders", "count": 41})
    assert r.status_code == 200
    expect(figure).to_have_text("42", timeout=10_000)
    assert page.evaluate("window.eyrieMarker") == "same page"          # no reload happened
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    # A hidden tab does not poll; it redraws as soon as it is visible again.
    polls: list[str] = []
    page.on("request", lambda req: polls.append(req.url) if f"/tiles/{tile}" in req.url else None)
    page.evaluate("""() => {
        window.eyrieHidden = true;
        Object.defineProperty(document, 'visibilityState',
                              {configurable: true, get: () => window.eyrieHidden ? 'hidden' : 'visible'});
    }""")
    page.wait_for_timeout(300)   # a poll already in flight may still land
    polls.clear()
    requests.post(live_server + "/ez", data={"ezkey": "watch@example.com", "stat": "orders", "count": 8})
    page.wait_for_timeout(2500)
    assert polls == [] and figure.inner_text() == "42"
    page.evaluate("window.eyrieHidden = false; document.dispatchEvent(new Event('visibilitychange'))")
    expect(figure).to_have_text("50", timeout=3_000)
    assert polls
    assert page.evaluate("window.eyrieMarker") == "same page"
    page.close()


def test_drag_and_drop_and_the_keyboard_buttons_reorder_and_resize(browser, live_server, db):
    now = int(time.time())
    _, board, (a, b, c) = board_with(db, "drag@example.com", ["alpha", "beta", "gamma"], now)
    page = log_in(browser, live_server, "drag@example.com", "board-password")
    page.goto(f"{live_server}/dashboards/{board}")
    page.evaluate("window.eyrieMarker = 'same page'")
    assert shown_order(page) == [a, b, c]

    # Drag the first tile onto the last: it takes the last place, in the page and in the database.
    settled(page)
    # (wait for the POST itself: a load state says nothing about requests made after the page loaded)
    with page.expect_response(lambda r: r.url.endswith("/order")):
        page.locator(f"#tile-{a}").drag_to(page.locator(f"#tile-{c}"))
    expect(page.locator("#tile-grid > .tile").first).to_have_attribute("data-tile-id", str(b))
    assert shown_order(page) == [b, c, a]
    assert [r[0] for r in tile_rows(db, board)] == [b, c, a]
    # ...and back to the front.
    settled(page)
    with page.expect_response(lambda r: r.url.endswith("/order")):
        page.locator(f"#tile-{a}").drag_to(page.locator(f"#tile-{b}"))
    expect(page.locator("#tile-grid > .tile").first).to_have_attribute("data-tile-id", str(a))
    assert [r[0] for r in tile_rows(db, board)] == [a, b, c]

    # Keyboard: focus a tile's button and press Enter; the focus stays on that tile's button after the redraw.
    # (Playwright's emulated drag leaves Chromium's pointer mid-gesture, and that eats the next key press:
    # an ordinary click first ends it. A person's real drag ends with the mouse button released.)
    page.locator("#dash-title").click()
    page.locator(f"#tile-{a}-later").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#tile-grid > .tile").first).to_have_attribute("data-tile-id", str(b))
    expect(page.locator(f"#tile-{a}-later")).to_be_focused()
    settled(page)
    page.keyboard.press("Enter")
    expect(page.locator("#tile-grid > .tile").last).to_have_attribute("data-tile-id", str(a))
    assert [(r[0], r[1]) for r in tile_rows(db, board)] == [(b, 0), (c, 1), (a, 2)]
    settled(page)
    page.locator(f"#tile-{a}-earlier").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#tile-grid > .tile").last).to_have_attribute("data-tile-id", str(c))
    assert [r[0] for r in tile_rows(db, board)] == [b, a, c]

    settled(page)
    page.locator(f"#tile-{b}-bigger").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#tile-{b}")).to_have_class("tile size-2")
    expect(page.locator(f"#tile-{b}-bigger")).to_be_focused()
    settled(page)
    page.keyboard.press("Enter")
    expect(page.locator(f"#tile-{b}")).to_have_class("tile size-3")
    expect(page.locator(f"#tile-{b}-bigger")).to_be_disabled()
    assert dict((r[0], r[2]) for r in tile_rows(db, board)) == {a: 1, b: 3, c: 1}
    settled(page)
    page.locator(f"#tile-{b}-smaller").click()
    expect(page.locator(f"#tile-{b}")).to_have_class("tile size-2")
    assert dict((r[0], r[2]) for r in tile_rows(db, board))[b] == 2

    settled(page)
    page.once("dialog", lambda d: d.accept())
    page.locator(f"#tile-{c}-remove").click()
    expect(page.locator(f"#tile-{c}")).to_have_count(0)
    assert [r[0] for r in tile_rows(db, board)] == [b, a]
    assert page.evaluate("window.eyrieMarker") == "same page"
    page.close()


def test_add_a_tile_and_share_it_in_the_browser(browser, live_server, db):
    now = int(time.time())
    _, board, _ = board_with(db, "adder@example.com", ["visits", "sales"], now)
    page = log_in(browser, live_server, "adder@example.com", "board-password")
    page.goto(f"{live_server}/dashboards/{board}")
    page.get_by_text("Add a tile").click()
    page.locator("#add-tile").get_by_label("visits").check()
    page.locator("#add-tile").get_by_label("sales").check()
    page.locator("#add-tile label[title='1 week']").click()
    page.get_by_label("Title").fill("Visits and sales")
    page.get_by_role("button", name="Add tile", exact=True).click()
    expect(page.locator("#tile-grid")).to_contain_text("Visits and sales")
    expect(page.locator("#tile-grid > .tile")).to_have_count(3)
    expect(page.get_by_label("Title")).to_have_value("")   # the form is ready for the next one

    page.get_by_role("button", name="Create share link").click()
    link = page.locator("#share-url").inner_text()   # on EYRIE_BASE_URL, the server's public address
    assert link.startswith("http") and "/d/" in link
    anon = browser.new_context().new_page()
    anon.goto(live_server + "/d/" + link.rsplit("/d/", 1)[1])
    expect(anon.locator("#tile-grid > .tile")).to_have_count(3)
    expect(anon.locator(".tile-tools")).to_have_count(0)
    anon.close()
    page.close()


def _screenshot_board(db, now: int) -> tuple[int, str]:
    """The demo's sample data, and a dashboard with counters, values and two overlays."""
    from app.interactors import stat_page as sp
    from app.interactors.demo import UNITS, sample_items

    acc = create_account(db, "shots@example.com", "shots-password", now)
    items = sample_items(now, days=8)
    for i in range(0, len(items), 5000):
        record_ez(db, acc.ezkey, items[i:i + 5000], now, bulk=True)
    sid = {n: stat_row(db, acc.id, n)["id"] for n in ("page views", "signups", "response time", "temperature berlin",
                                                      "temperature tokyo", "temperature san francisco")}
    for name, unit in UNITS.items():
        sp.set_unit(db, acc.id, sid[name], unit)
    account = get_account(db, acc.id)
    board = dash.create_dashboard(db, acc.id, "Production overview", now)
    for ids, tf, size, title in (([sid["page views"]], "1d", 2, ""), ([sid["signups"]], "1w", 1, ""),
                                 ([sid["response time"]], "1h", 1, ""),
                                 ([sid["temperature berlin"], sid["temperature tokyo"],
                                   sid["temperature san francisco"]], "1w", 2, "Temperatures"),
                                 ([sid["page views"], sid["response time"]], "1d", 3, "Traffic and latency")):
        dash.add_tile(db, account, board, [str(i) for i in ids], tf, str(size), title, now)
    return board, dash.share_dashboard(db, account, board)["dashboard"]["token"]


def test_screenshots_of_a_dashboard_light_and_its_tv_mode_dark(browser, live_server, db, artifacts):
    now = int(time.time())
    board, token = _screenshot_board(db, now)

    ctx = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    page = log_in(ctx, live_server, "shots@example.com", "shots-password")
    page.goto(f"{live_server}/dashboards/{board}")
    expect(page.locator("#tile-grid > .tile")).to_have_count(5)
    path = artifacts / "dashboard-light.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20000
    page.get_by_text("Add a tile").click()
    page.locator(".board-below").screenshot(path=str(artifacts / "dashboard-add-tile-light.png"))
    ctx.close()

    # TV mode through the share link: no session, dark although the browser asks for light.
    ctx = browser.new_context(color_scheme="light", viewport={"width": 1920, "height": 1080})
    page = ctx.new_page()
    page.goto(f"{live_server}/d/{token}/tv")
    expect(page.locator("#tile-grid > .tile")).to_have_count(5)
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(11, 15, 20)", bg
    path = artifacts / "dashboard-tv-dark.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 20000
    ctx.close()
