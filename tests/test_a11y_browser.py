"""Accessibility in a real Chromium: axe-core's rules on every main page (light and dark), the skip
link, focus kept on the timeframe control, and the graph's name and text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.pages import main_pages, seed_account, sign_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "clients" / "node_modules" / "axe-core" / "axe.min.js"
# The rules this project holds itself to on every page (axe-core 4.14, installed by .ci/install-deps.sh).
RULES = ["color-contrast", "duplicate-id", "duplicate-id-aria", "duplicate-id-active", "label", "button-name",
         "link-name", "image-alt", "svg-img-alt", "aria-valid-attr", "aria-valid-attr-value", "aria-allowed-attr",
         "bypass", "document-title", "html-has-lang", "form-field-multiple-labels", "nested-interactive"]


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""(rules) => axe.run(document, {runOnly: {type: 'rule', values: rules},
                                                           resultTypes: ['violations']})""", RULES)
    return [f"{v['id']}: {n['target']} {n.get('failureSummary', '')[:160]}"
            for v in result["violations"] for n in v["nodes"]]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by .ci/install-deps.sh")
def test_axe_finds_nothing_on_the_main_pages_light_and_dark(browser, live_server, db):
    ids = seed_account(db, int(time.time()))
    found = {}
    for scheme in ("light", "dark"):
        # bypass_csp: axe is injected as an inline script, which the pages' CSP rightly refuses.
        ctx = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page = ctx.new_page()
        sign_in(page, live_server)
        for name, path in main_pages(ids):
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
            bad = axe_violations(page)
            if bad:
                found[f"{name} ({scheme})"] = bad
        ctx.close()
    assert found == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in found.items())


def test_skip_link_focus_after_a_timeframe_switch_and_the_graphs_text(browser, live_server, db):
    ids = seed_account(db, int(time.time()))
    page = browser.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/stats/{ids['stat_id']}")
    # The first Tab reaches the skip link, which moves the focus to the page's content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The graph is a figure named by its text alternative, which carries the headline figures.
    graph = page.get_by_role("figure")
    expect(graph).to_have_count(1)
    caption = page.locator("#stat-graph-caption").inner_text()
    assert caption.startswith("Graph of page views over 1 week") and "total" in caption
    assert page.locator("#stat-graph").get_attribute("aria-labelledby") == "stat-graph-caption"
    # Switching the timeframe with the keyboard keeps the focus on the timeframe control.
    tabs = page.get_by_role("navigation", name="Timeframe")
    tabs.get_by_role("link", name="1 day").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#stat-view .graph-range")).to_contain_text("1 day")
    expect(page).to_have_url(f"{live_server}/stats/{ids['stat_id']}?tf=1d")    # the graph width stays out of it
    expect(tabs.get_by_role("link", name="1 day")).to_be_focused()
    assert page.evaluate("document.activeElement.getAttribute('aria-current')") == "true"
    # ...and the compare switch keeps it too.
    page.locator("#compare-toggle").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#compare-toggle")).to_have_attribute("aria-checked", "false")
    expect(page.locator("#compare-toggle")).to_be_focused()
    # No id is used twice on the page.
    dupes = page.evaluate("""() => { const seen = {};
        document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id] || 0) + 1);
        return Object.keys(seen).filter(k => seen[k] > 1); }""")
    assert dupes == []
    page.close()


def test_the_phone_menu_opens_and_closes_from_the_keyboard(browser, live_server, db):
    seed_account(db, int(time.time()))
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    sign_in(page, live_server)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(nav).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Alerts").click()
    expect(page).to_have_url(live_server + "/alerts")
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_focused()
    ctx.close()
