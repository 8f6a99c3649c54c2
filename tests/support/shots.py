"""Screenshots of the graph pages (stat page, analysis, dashboard, embeds) at 1280x800 and 390x844, light
and dark, on a throwaway SQLite database with the demo data plus a young and a sparse stat.

    .venv/bin/python -m tests.support.shots before     # -> test-artifacts/screenshots/graphs-before-*.png

Run by hand before and after a change to the drawing, and look at the PNGs.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from app.config import ROOT, Config
from app.interactors import dashboards
from app.interactors.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from app.interactors.ingest import EzItem, record_ez
from app.storage import accounts as aq
from app.storage import analyses as anq
from app.storage import stats as sq
from app.storage.db import Database
from app.storage.migrate import migrate
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

SIZES = {"wide": (1280, 800), "phone": (390, 844)}


def seed(db, now: int) -> dict:
    seed_demo(db, now)
    # A young counter (two days old: the previous week has no data) and a sparse value stat (a reading
    # every few hours, with a long hole in the middle).
    young = [EzItem(stat="young signups", count=1 + (t // 3600) % 3, t=t) for t in range(now - 2 * 86400, now, 900)]
    sparse = [EzItem(stat="disk free", value=400 - i * 3.5, t=now - 6 * 86400 + i * 4 * 3600)
              for i in range(36) if not 12 <= i < 20]
    record_ez(db, DEMO_EMAIL, young + sparse, now, bulk=True)
    account = db.read(lambda tx: aq.account_by_email(tx, DEMO_EMAIL))
    names = db.read(lambda tx: sq.stats_by_names(tx, account["id"], ["page views", "response time", "young signups",
                                                                      "disk free", "temperature berlin", "signups"]))
    ids = {n: s["id"] for n, s in names.items()}
    db.run(lambda tx: sq.update_stat(tx, account["id"], ids["disk free"], unit="GB"))
    analysis = db.run(lambda tx: anq.insert_analysis(tx, account["id"], "Traffic vs latency",
                                                     [ids["page views"], ids["response time"],
                                                      ids["temperature berlin"]], "1d", now))
    board = dashboards.create_dashboard(db, account["id"], "Overview", now)
    for tile in (["page views"], ["response time"], ["signups"], ["young signups"], ["disk free"],
                 ["page views", "response time"]):
        dashboards.add_tile(db, account, board, [str(ids[n]) for n in tile], "1d", "1", "", now)
    key = db.read(lambda tx: sq.stat_by_id(tx, account["id"], ids["page views"]))["embed_key"]
    return {"ids": ids, "analysis": analysis, "board": board, "key": key}


def main(label: str) -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from app.ingest import create_ingest_app
    from app.web import create_web_app
    from app.wsgi import Router

    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'eyrie.db'}"
    db = Database(url)
    migrate(db)
    now = int(time.time())
    s = seed(db, now)
    config = Config.from_env(env={}, database_url=url, var_dir=tmp / "var", secret_key="shots", testing=True)
    app = Router(create_web_app(config, db), create_ingest_app(config, db))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    ids = s["ids"]
    pages = {
        "stat-counter": f"/stats/{ids['page views']}",
        "stat-value": f"/stats/{ids['response time']}?tf=1d",
        "stat-young": f"/stats/{ids['young signups']}",
        "stat-sparse": f"/stats/{ids['disk free']}",
        "analysis": f"/analyze/{s['analysis']}",
        "analysis-normalised": f"/analyze?s={ids['page views']}&s={ids['response time']}&s={ids['temperature berlin']}"
                               "&tf=1d&scale=normalised",
        "dashboard": f"/dashboards/{s['board']}",
        "embed-frame": f"/embed/graph/{s['key']}?w=500&h=200&tf=week_compare",
    }
    out = ROOT / "test-artifacts" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                for size, (w, h) in SIZES.items():
                    ctx = browser.new_context(color_scheme=scheme, viewport={"width": w, "height": h})
                    page = ctx.new_page()
                    page.goto(base + "/login")
                    page.get_by_label("Email").fill(DEMO_EMAIL)
                    page.get_by_label("Password").fill(DEMO_PASSWORD)
                    page.get_by_role("button", name="Log in").click()
                    page.wait_for_load_state("networkidle")
                    for name, path in pages.items():
                        page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                        page.screenshot(path=str(out / f"graphs-{label}-{name}-{size}-{scheme}.png"),
                                        full_page=name != "dashboard")
                    # The hover crosshair (static/graph.js), where it exists: the stat page's graph.
                    page.goto(base + pages["stat-value"])
                    page.wait_for_load_state("networkidle")
                    graph = page.locator("#stat-graph svg")
                    bb = graph.bounding_box()
                    page.mouse.move(bb["x"] + bb["width"] * 0.6, bb["y"] + bb["height"] * 0.4)
                    page.wait_for_timeout(100)
                    clip = {"x": 0, "y": max(bb["y"] - 120, 0), "width": w, "height": min(h, bb["height"] + 240)}
                    page.screenshot(path=str(out / f"graphs-{label}-stat-hover-{size}-{scheme}.png"), clip=clip)
                    ctx.close()
            browser.close()
    finally:
        srv.shutdown()
        db.close()
    print(f"screenshots in {out}/graphs-{label}-*.png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "now")
