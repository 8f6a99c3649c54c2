"""A signed-in account with data, alerts, a dashboard and a report, and the list of its main pages:
what the phone-layout test walks and what the screenshots show."""

from __future__ import annotations

SHOTS_EMAIL = "shots@example.com"
SHOTS_PASSWORD = "shots-password"


def seed_account(db, now: int) -> dict:
    """Demo data for one account; answers the ids the page list needs."""
    from app.interactors import alerts, dashboards, reports
    from app.interactors.accounts import create_account, get_account
    from app.interactors.demo import sample_items
    from app.interactors.ingest import record_ez
    from app.storage import stats as sq

    acct = create_account(db, SHOTS_EMAIL, SHOTS_PASSWORD, now)
    items = sample_items(now, days=2)
    for i in range(0, len(items), 5000):
        record_ez(db, SHOTS_EMAIL, items[i:i + 5000], now, bulk=True)
    # A long name with no spaces: the kind that broke one letter per line in a narrow column.
    record_ez(db, SHOTS_EMAIL, [_item("api.checkout.payment_provider.latency_p99_milliseconds", 120.0, now)], now,
              bulk=True)
    stats = db.read(lambda tx: sq.stats_by_names(tx, acct.id, ["page views", "response time", "signups"]))
    db.run(lambda tx: sq.update_stat(tx, acct.id, stats["response time"]["id"], unit="ms"))
    alerts.create_alert(db, acct.id, stats["response time"]["id"],
                        {"kind": "value", "time_window": "5m", "operator": "greater than", "threshold": "250"}, now)
    reports.save_settings(db, acct.id, daily=True, weekly=False, hour="8",
                          stat_ids=[str(stats["page views"]["id"])], now=now)
    account = get_account(db, acct.id)
    board = dashboards.create_dashboard(db, acct.id, "Operations overview", now)
    for name in ("page views", "response time", "signups"):
        dashboards.add_tile(db, account, board, [str(stats[name]["id"])], "1d", "1", "", now)
    shared = dashboards.share_dashboard(db, account, board)["dashboard"]
    db.run(lambda tx: sq.update_stat(tx, acct.id, stats["page views"]["id"], public=1))
    return {"account_id": acct.id, "stat_id": stats["page views"]["id"], "value_stat_id": stats["response time"]["id"],
            "dashboard_id": board, "share_token": shared.get("token"), "embed_key": stats["page views"]["embed_key"]}


def _item(stat: str, value: float, t: int):
    from app.interactors.ingest import EzItem

    return EzItem(stat=stat, value=value, t=t)


def main_pages(ids: dict) -> list[tuple[str, str]]:
    """(short name, path) of every main page a signed-in person uses."""
    pages = [
        ("stats", "/"),
        ("stat", f"/stats/{ids['stat_id']}"),
        ("stat-value", f"/stats/{ids['value_stat_id']}"),
        ("alerts", "/alerts"),
        ("docs", "/docs"),
        ("settings", "/settings"),
        ("reports", "/settings/reports"),
        ("dashboards", "/dashboards"),
        ("dashboard", f"/dashboards/{ids['dashboard_id']}"),
        ("analysis", f"/analyze?s={ids['stat_id']}&s={ids['value_stat_id']}"),
        ("trash", "/trash"),
    ]
    if ids.get("share_token"):
        pages.append(("shared-dashboard", f"/d/{ids['share_token']}"))
    return pages


def public_pages(ids: dict) -> list[tuple[str, str]]:
    """Pages seen without signing in."""
    return [("login", "/login"), ("signup", "/signup"), ("reset", "/reset"), ("public-stat", f"/s/{ids['embed_key']}")]


def sign_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(SHOTS_EMAIL)
    page.get_by_label("Password").fill(SHOTS_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


# The elements that stick out past the right edge (for the failure message).
WIDEST = """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
  .slice(-5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"""


def shoot_all(browser, base: str, ids: dict, out_dir, prefix: str = "") -> dict:
    """Screenshots of every main page at 1280x800 and 390x844, light and dark; answers the pages
    that were wider than the screen at 390 px ({name: scrollWidth})."""
    too_wide = {}
    for scheme in ("light", "dark"):
        for w, h in ((1280, 800), (390, 844)):
            ctx = browser.new_context(color_scheme=scheme, viewport={"width": w, "height": h})
            page = ctx.new_page()
            sign_in(page, base)
            for name, path in main_pages(ids):
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out_dir / f"{prefix}{name}-{w}-{scheme}.png"), full_page=True)
                if w == 390 and scheme == "light":
                    sw = page.evaluate("document.documentElement.scrollWidth")
                    if sw > page.evaluate("window.innerWidth"):
                        too_wide[name] = (sw, page.evaluate(WIDEST))
            for name, path in public_pages(ids):
                anon = browser.new_context(color_scheme=scheme, viewport={"width": w, "height": h}).new_page()
                anon.goto(base + path)
                anon.wait_for_load_state("networkidle")
                anon.screenshot(path=str(out_dir / f"{prefix}{name}-{w}-{scheme}.png"), full_page=True)
                if w == 390 and anon.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                    too_wide[name] = anon.evaluate("document.documentElement.scrollWidth")
                anon.context.close()
            ctx.close()
    return too_wide
