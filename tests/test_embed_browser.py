"""Embeds in real headless Chromium: StatHat's script form on a page from another origin, and the
embed builder on the stat page (screenshots in test-artifacts/screenshots)."""

from __future__ import annotations

import functools
import http.server
import math
import re
import threading
import time

import pytest
from playwright.sync_api import expect

from app.interactors.accounts import create_account
from app.interactors.ingest import EzItem, record_ez
from tests.helpers import stat_row

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "embed@example.com", "embed-password"


def fill(db, now: int) -> dict:
    """Eight days of five-minute data: a counter with a daily wave and a value stat with a unit."""
    create_account(db, EMAIL, PASSWORD, now)
    items = []
    for t in range(now - 8 * 86400, now, 300):
        wave = math.sin(((t % 86400) / 3600 - 9) / 24 * 2 * math.pi)
        items.append(EzItem(stat="page views", count=round(120 + 80 * wave + (t // 300) % 13), t=t))
        items.append(EzItem(stat="api latency", value=round(180 - 40 * wave + (t // 300) % 17, 1), t=t))
    for i in range(0, len(items), 5000):
        record_ez(db, EMAIL, items[i:i + 5000], now, bulk=True)
    account_id = db.read(lambda tx: tx.scalar("SELECT id FROM accounts WHERE email = ?", (EMAIL,)))
    db.run(lambda tx: tx.execute("UPDATE stats SET unit = 'ms' WHERE name = 'api latency'"))
    return {name: stat_row(db, account_id, name) for name in ("page views", "api latency")}


@pytest.fixture
def other_origin(tmp_path):
    """A second tiny web server (another port, so another origin) serving static files from a temp dir."""
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def test_a_stathat_embed_on_another_origin_shows_the_graph(browser, live_server, db, other_origin, artifacts):
    stats = fill(db, int(time.time()))
    k1, k2 = stats["page views"]["embed_key"], stats["api latency"]["embed_key"]
    root, origin = other_origin
    calls = [f"render({{s1: '{k1}', w: 500, h: 200, tf: 'week_compare'}})",
             f"render({{s1: '{k1}', s2: '{k2}', w: 500, h: 200, tf: 'day', title: 'Views & latency'}})",
             f"render_graph({{s1: '{k2}', w: 300, h: 100, tf: 'day', style: 'spark'}})",
             f"render({{s1: '{k1}', w: 400, h: 150, tf: 'half', style: 'fill', theme: 'dark'}})"]
    cards = "\n".join(f'<div class="card"{" style=background:#111827" if "dark" in c else ""}>'
                      f"<script>StatHatEmbed.{c};</script></div>" for c in calls)
    (root / "index.html").write_text(f"""<!doctype html>
<html><head><meta charset="utf-8"><title>My status page</title>
<style>body {{ font: 15px system-ui, sans-serif; margin: 24px; color: #1f2937; background: #fafafa; }}
h1 {{ font-size: 20px; }} .card {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px;
display: inline-block; margin: 0 12px 12px 0; vertical-align: top; }}</style></head>
<body><h1>My status page</h1>
<script src="{live_server}/static/embed.js"></script>
{cards}
<p id="after">Text after the embeds.</p>
</body></html>""")
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    failed = []
    page.on("requestfailed", lambda req: failed.append(req.url))
    page.goto(origin + "/index.html")
    imgs = page.locator("div[id^=statd_embed_graph_] img")
    expect(imgs).to_have_count(4)
    # the container sits where the calling script was, with StatHat's id
    box = page.locator(f"#statd_embed_graph_{k1}___500_200_week_compare_")
    expect(box).to_have_count(1)
    assert box.evaluate("el => el.parentElement.className") == "card"
    for i in range(4):
        img = imgs.nth(i)
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("el => el.naturalWidth") > 0, img.get_attribute("src")
        src = img.get_attribute("src")
        assert src.startswith(live_server + "/embed/graph/") and ".svg?" in src
        assert img.get_attribute("alt")
    first = imgs.nth(0)
    assert first.get_attribute("src") == f"{live_server}/embed/graph/{k1}.svg?w=500&h=200&tf=week_compare"
    assert first.evaluate("el => [el.naturalWidth, el.naturalHeight]") == [500, 200]
    assert imgs.nth(1).get_attribute("src") == (f"{live_server}/embed/graph/{k1}/{k2}.svg?w=500&h=200&tf=day"
                                                 "&title=Views%20%26%20latency")
    assert page.evaluate("StatHatEmbed.origin") == live_server
    assert not failed, failed
    page.screenshot(path=str(artifacts / "embed-cross-origin.png"), full_page=True)
    # the iframe form, also from the other origin
    (root / "frame.html").write_text(f"""<!doctype html><body style="margin:16px;background:#f3f4f6">
<iframe id="f" src="{live_server}/embed/graph/{k1}?w=500&h=200&tf=week" width="500" height="200"
 style="border:0"></iframe>
</body>""")
    page.goto(origin + "/frame.html")
    frame = page.frame_locator("#f")
    expect(frame.locator("svg.eyrie-graph")).to_be_visible()
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_embed_builder_previews_and_gives_code(browser, live_server, db, artifacts, scheme):
    stats = fill(db, int(time.time()))
    sid, key = stats["page views"]["id"], stats["page views"]["embed_key"]
    ctx = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/stats/{sid}")
    builder = page.locator("#embed-builder")
    preview = page.locator("#embed-preview-img")
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("el => el.naturalWidth") == 500
    expect(page.locator("#embed-code-script")).to_contain_text(
        f"StatHatEmbed.render({{s1: '{key}', w: 500, h: 200, tf: 'week_compare'}});")
    # change the options: the preview and the code follow (htmx GET swapping #embed-out)
    page.locator("#embed-size").select_option("800x350")
    expect(page.locator("#embed-code-img")).to_contain_text("w=800&amp;h=350")
    if scheme == "dark":
        page.locator("#embed-theme").select_option("dark")
        expect(page.locator("#embed-code-script")).to_contain_text("theme: 'dark'")
    page.locator("#embed-tf").select_option("day_compare")
    expect(page.locator("#embed-code-img")).to_contain_text("tf=day_compare")
    page.locator("input[name=title]").fill("Page views today")
    expect(page.locator("#embed-code-script")).to_contain_text('title: "Page views today"')
    preview = page.locator("#embed-preview-img")
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("el => el.naturalWidth") == 800
    # custom size shows the width and height fields
    expect(page.locator("input[name=w]")).to_be_hidden()
    shot = builder.bounding_box()   # a full-page clip: the sticky top bar stays at the top of the page
    shot["y"] += page.evaluate("window.scrollY")
    page.screenshot(path=str(artifacts / f"embed-builder-{scheme}.png"), full_page=True,
                    clip={"x": shot["x"] - 8, "y": shot["y"] - 8, "width": shot["width"] + 16,
                          "height": shot["height"] + 16})
    page.locator("#embed-size").select_option("custom")
    expect(page.locator("input[name=w]")).to_be_visible()
    page.locator("input[name=w]").fill("640")
    expect(page.locator("#embed-code-img")).to_contain_text("w=640&amp;h=350")
    # a new key: the old one stops at once
    page.once("dialog", lambda d: d.accept())
    page.locator("#rotate-embed-key").click()
    expect(page.locator("#embed-builder")).to_contain_text("the old one no longer works")
    new = page.locator("#embed-builder-key").inner_text()
    assert new != key
    expect(page.locator("#embed-key")).to_have_text(new)
    assert page.request.get(f"{live_server}/embed/graph/{key}.svg").status == 404
    assert page.request.get(f"{live_server}/embed/graph/{new}.svg").status == 200
    # made public: the public page, for anyone
    db.run(lambda tx: tx.execute("UPDATE stats SET public = 1 WHERE id = ?", (sid,)))
    anon = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    public = anon.new_page()
    public.goto(f"{live_server}/s/{new}")
    expect(public.locator("#stat-title")).to_have_text("page views")
    expect(public.locator("#stat-graph svg")).to_be_visible()
    public.screenshot(path=str(artifacts / f"embed-public-{scheme}.png"), full_page=True)
    anon.close()
    ctx.close()


def test_stathats_other_embed_kinds_render_on_another_origin(browser, live_server, db, other_origin, artifacts):
    stats = fill(db, int(time.time()))
    k1, k2 = stats["page views"]["embed_key"], stats["api latency"]["embed_key"]
    root, origin = other_origin
    (root / "kinds.html").write_text(f"""<!doctype html><html><head><meta charset="utf-8"></head>
<body style="font: 15px system-ui; margin: 24px">
<script src="{live_server}/static/embed.js"></script>
<p>Latency now: <script>StatHatEmbed.render_text({{s1: '{k2}'}});</script></p>
<div id="d"><script>StatHatEmbed.render_data({{s1: '{k2}', tf: 'day'}});</script></div>
<div id="t"><script>StatHatEmbed.render_table({{s1: '{k1}', tf: '1d1h', rows: 4}});</script></div>
<div id="h"><script>StatHatEmbed.render_histogram({{s1: '{k2}', w: 400, h: 160, tf: 'week'}});</script></div>
<div id="bad"><script>StatHatEmbed.render_text({{s1: 'nosuchkey1234'}});</script></div>
</body></html>""")
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(origin + "/kinds.html")
    text = page.locator("span.eyrie-embed-text").first
    expect(text).to_have_text(re.compile(r"^\d+(\.\d+)? ms$"))
    expect(page.locator("#d dl.eyrie-embed-data")).to_contain_text("Mean")
    expect(page.locator("#d dl.eyrie-embed-data")).to_contain_text("ms")
    expect(page.locator("#t table.eyrie-embed-table tbody tr")).to_have_count(4)
    img = page.locator("#h img")
    expect(img).to_have_js_property("complete", True)
    assert img.evaluate("el => el.naturalWidth") == 400 and "/embed/histogram/" in img.get_attribute("src")
    expect(page.locator("#bad")).to_contain_text("unknown embed key")
    page.screenshot(path=str(artifacts / "embed-other-kinds.png"), full_page=True)
    page.close()
