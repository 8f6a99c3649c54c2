"""Send data's StatsD/Graphite/Grafana sections and the settings token panel in Chromium: the
token shows, rotating it swaps it in place, screenshots light and dark at desktop and phone size."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from app.interactors.accounts import create_account


def test_docs_and_settings_token_light_dark_desktop_phone(browser, live_server, db, artifacts):
    acct = create_account(db, "listen@example.com", "listen-password", int(time.time()))
    for scheme in ("light", "dark"):
        for label, viewport in (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})):
            ctx = browser.new_context(color_scheme=scheme, viewport=viewport)
            page = ctx.new_page()
            page.goto(live_server + "/login")
            page.get_by_label("Email").fill(acct.email)
            page.get_by_label("Password").fill("listen-password")
            page.get_by_role("button", name="Log in").click()
            page.goto(live_server + "/docs#statsd")
            token = page.locator("#doc-metrics-token").inner_text()
            assert len(token) == 20
            expect(page.locator("#sn-statsd-nc")).to_contain_text(f"{token}.api.requests:1|c")
            expect(page.locator("#grafana-url")).to_contain_text("/x/ACCESS_TOKEN/graphite")
            page.locator("#statsd").screenshot(path=str(artifacts / f"docs-statsd-{label}-{scheme}.png"))
            page.locator("#grafana").screenshot(path=str(artifacts / f"docs-grafana-{label}-{scheme}.png"))
            page.goto(live_server + "/settings")
            expect(page.locator("#metrics-token")).to_have_text(token)
            page.screenshot(path=str(artifacts / f"settings-token-{label}-{scheme}.png"), full_page=True)
            ctx.close()
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(acct.email)
    page.get_by_label("Password").fill("listen-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server + "/settings")
    old = page.locator("#metrics-token").inner_text()
    page.once("dialog", lambda d: d.accept())
    with page.expect_response(lambda r: r.url.endswith("/settings/metrics-token")) as resp:
        page.get_by_role("button", name="New metrics token").click()
    assert resp.value.status == 200
    expect(page.locator("#metrics-token")).not_to_have_text(old)
    stored = db.read(lambda tx: tx.scalar("SELECT metrics_token FROM accounts WHERE id = ?", (acct.id,)))
    assert stored == page.locator("#metrics-token").inner_text() != old
    ctx.close()
