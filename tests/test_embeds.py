"""Embeds: graphs by embed key without a session (SVG, iframe page, embed.js), public stat pages,
caching (ETag, 304, the render cache and its invalidation) and the embed builder on the stat page."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from app.interactors import embeds
from app.interactors.ingest import EzItem, record_ez
from app.rollups import DAY
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.web_helpers import csrf_token, post

SVG_NS = "{http://www.w3.org/2000/svg}"
HX = {"HX-Request": "true"}


def record(db, account, items, now=NOW):
    record_ez(db, account.ezkey, items, now, bulk=True)


def key_of(db, account, name):
    return stat_row(db, account.id, name)["embed_key"]


@pytest.fixture
def mine(db, account):
    """Two of ann's stats: a counter and a value stat with a unit, both with data today and yesterday."""
    record(db, account, [EzItem(stat="signups", count=3, t=NOW - 600), EzItem(stat="signups", count=5, t=NOW - DAY),
                         EzItem(stat="latency", value=120, t=NOW - 300), EzItem(stat="latency", value=80, t=NOW - DAY)])
    db.run(lambda tx: tx.execute("UPDATE stats SET unit = 'ms' WHERE name = 'latency'"))
    return {"signups": key_of(db, account, "signups"), "latency": key_of(db, account, "latency")}


@pytest.fixture
def theirs(db, other_account):
    record(db, other_account, [EzItem(stat="bob secret revenue", count=999, t=NOW - 60)])
    return key_of(db, other_account, "bob secret revenue")


def svg_of(r):
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "image/svg+xml"
    return ET.fromstring(r.get_data(as_text=True))


def test_a_valid_key_works_for_an_anonymous_client(web, mine):
    r = web.get(f"/embed/graph/{mine['signups']}.svg?w=400&h=150&tf=day_compare")
    root = svg_of(r)
    assert root.get("width") == "400" and root.get("height") == "150" and root.get("viewBox") == "0 0 400 150"
    body = r.get_data(as_text=True)
    assert "signups" in body and "previous day" in body   # the default title, and the dashed comparison
    # The week before the stat's first data is not drawn as a flat zero: no previous-week line.
    assert "previous week" not in web.get(f"/embed/graph/{mine['signups']}.svg?tf=week_compare").get_data(True)
    assert "Set-Cookie" not in r.headers and r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["ETag"] and r.headers["X-Content-Type-Options"] == "nosniff"
    # the iframe page: the same SVG inline, no session, no login
    r = web.get(f"/embed/graph/{mine['signups']}?w=400&h=150")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html" and "<svg" in html and "Set-Cookie" not in r.headers
    assert r.headers["ETag"] and r.headers["Cache-Control"] == "public, max-age=60"
    assert "Eyrie</a>" not in html   # private stat: no link to a public page


def test_wrong_or_malformed_keys_are_404(web, mine):
    for path in ("/embed/graph/AAAAAAAAAAAAAAAAAAAAAAAA.svg", "/embed/graph/AAAAAAAAAAAAAAAAAAAAAAAA",
                 "/embed/graph/not a key.svg", "/embed/graph/x.svg", "/embed/graph/" + "a" * 80 + ".svg",
                 f"/embed/graph/{mine['signups'].lower()}.svg" if mine["signups"] != mine["signups"].lower()
                 else "/embed/graph/ZZZZZZZZZZZZ.svg",
                 f"/embed/graph/{mine['signups']}/{mine['latency']}/{mine['signups']}x/{mine['latency']}.svg",
                 "/s/AAAAAAAAAAAAAAAAAAAAAAAA"):
        r = web.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert "signups" not in r.get_data(as_text=True)


def test_a_deleted_stat_is_404(web, db, account, mine):
    from app.interactors.stats import trash_stat

    trash_stat(db, account.id, stat_row(db, account.id, "signups")["id"], NOW)
    assert web.get(f"/embed/graph/{mine['signups']}.svg").status_code == 404


def test_two_of_my_stats_overlay(web, mine):
    r = web.get(f"/embed/graph/{mine['signups']}/{mine['latency']}.svg?w=800&h=350&tf=day")
    body = r.get_data(as_text=True)
    svg_of(r)
    assert "signups" in body and "latency" in body and "ms" in body   # latency's unit: a second axis
    assert "previous" not in body   # plain "day": no comparison
    r = web.get(f"/embed/graph/{mine['signups']}/{mine['latency']}.svg?tf=day_compare")
    assert "signups (previous day)" in r.get_data(as_text=True)


def test_mixing_in_another_accounts_key_or_a_non_key_reveals_nothing(web, mine, theirs):
    # their key works on its own (it authorizes its own stat)...
    assert web.get(f"/embed/graph/{theirs}.svg").status_code == 200
    # ...but never next to mine, in either order, and a non-key spoils the whole request
    a, b = mine["signups"], mine["latency"]
    for path in (f"{a}/{theirs}", f"{theirs}/{a}", f"{a}/{b}/{theirs}", f"{a}/{'A' * 24}", f"{a}/{b}/nope"):
        for suffix in (".svg", ""):
            r = web.get(f"/embed/graph/{path}{suffix}")
            body = r.get_data(as_text=True)
            assert r.status_code == 404, (path, suffix)
            assert "signups" not in body and "bob secret" not in body and "999" not in body


def test_rotating_the_key_stops_the_old_one_at_once(signed_in, db, account, mine):
    old = mine["signups"]
    sid = stat_row(db, account.id, "signups")["id"]
    assert signed_in.get(f"/embed/graph/{old}.svg").status_code == 200
    # without a CSRF token: refused, key unchanged
    assert signed_in.post(f"/stats/{sid}/embed-key").status_code == 400
    assert key_of(db, account, "signups") == old
    r = post(signed_in, f"/stats/{sid}/embed-key", htmx=True, token_from=f"/stats/{sid}")
    assert r.status_code == 200
    new = key_of(db, account, "signups")
    assert new != old and len(new) >= 22   # >= 128 bits
    html = r.get_data(as_text=True)
    assert new in html and old not in html and 'id="embed-key" hx-swap-oob="true"' in html
    assert signed_in.get(f"/embed/graph/{old}.svg").status_code == 404
    assert signed_in.get(f"/embed/graph/{old}").status_code == 404
    assert signed_in.get(f"/embed/graph/{new}.svg").status_code == 200
    # without JavaScript: back to the page
    r = post(signed_in, f"/stats/{sid}/embed-key", token_from=f"/stats/{sid}")
    assert r.status_code == 303 and key_of(db, account, "signups") != new


def test_only_the_owner_rotates_or_builds(signed_in, db, theirs, other_account):
    sid = stat_row(db, other_account.id, "bob secret revenue")["id"]
    token = csrf_token(signed_in, "/settings")
    assert signed_in.post(f"/stats/{sid}/embed-key", headers={"X-CSRFToken": token}).status_code == 404
    assert signed_in.get(f"/stats/{sid}/embed").status_code == 404
    assert key_of(db, other_account, "bob secret revenue") == theirs


def test_304_when_the_etag_matches(web, mine):
    url = f"/embed/graph/{mine['signups']}.svg?w=300&h=100&style=spark"
    r = web.get(url)
    etag = r.headers["ETag"]
    r = web.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.get_data() == b"" and r.headers["ETag"] == etag
    assert r.headers["Cache-Control"] == "public, max-age=60"
    # other options: another ETag
    assert web.get(url.replace("spark", "mini")).headers["ETag"] != etag
    # the iframe page has its own ETag and 304 too
    r = web.get(f"/embed/graph/{mine['signups']}")
    assert r.headers["ETag"] != etag
    assert web.get(f"/embed/graph/{mine['signups']}", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_repeated_requests_come_from_the_render_cache(web, mine, monkeypatch):
    from app.interactors import graphs

    calls = []
    real = graphs.overlay_graph
    monkeypatch.setattr(graphs, "overlay_graph", lambda *a, **k: calls.append(1) or real(*a, **k))
    url = f"/embed/graph/{mine['signups']}.svg?w=500&h=200"
    first = web.get(url).get_data()
    assert web.get(url).get_data() == first and web.get(url).get_data() == first
    assert len(calls) == 1
    web.get(url + "&theme=dark")
    assert len(calls) == 2


def test_a_new_point_changes_the_etag_and_shows_at_once(web, ingest, db, account, mine, clock):
    url = f"/embed/graph/{mine['signups']}.svg?w=500&h=200&tf=hour&title=Signups"
    r1 = web.get(url)
    etag = r1.headers["ETag"]
    assert web.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert "No data" not in r1.get_data(as_text=True)
    before = r1.get_data(as_text=True)
    # a point in the current minute (same pinned clock: only the data fingerprint changes)
    r = ingest.post("/ez", data={"ezkey": account.ezkey, "stat": "signups", "count": 400, "t": NOW})
    assert r.status_code in (200, 204)
    r2 = web.get(url, headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["ETag"] != etag
    after = r2.get_data(as_text=True)
    # Without the chart's random id (a uuid4 holds "400" about once in 140 renders).
    before, after = (re.sub(r"chart-[0-9a-f-]+", "", svg) for svg in (before, after))
    assert after != before and "400" in after and "400" not in before   # the y axis grew to 400
    # a point posted back in time leaves the newest bucket alone: it shows from the next minute on
    etag2 = r2.headers["ETag"]
    ingest.post("/ez", data={"ezkey": account.ezkey, "stat": "signups", "count": 1, "t": NOW - 1200})
    clock.now = NOW + 60
    r3 = web.get(url, headers={"If-None-Match": etag2})
    assert r3.status_code == 200 and r3.headers["ETag"] != etag2


def test_a_rename_changes_the_default_title(web, db, account, mine):
    url = f"/embed/graph/{mine['signups']}.svg"
    r = web.get(url)
    db.run(lambda tx: tx.execute("UPDATE stats SET name = 'sign-ups' WHERE name = 'signups'"))
    r2 = web.get(url, headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 200 and "sign-ups" in r2.get_data(as_text=True)


@pytest.mark.parametrize("query", ["w=abc", "h=1e999999", "w=10px", "tf=fortnight", "tf=all_compare", "style=pie",
                                   "theme=neon", "tf=%00", "w=%F0%9F%92%A5", "style=" + "x" * 5000])
def test_bad_parameters_are_400_not_500(web, mine, query):
    for suffix in (".svg", ""):
        r = web.get(f"/embed/graph/{mine['signups']}{suffix}?{query}")
        assert r.status_code == 400, (query, r.status_code, r.get_data(as_text=True)[:200])


def test_sizes_are_clamped_and_every_tf_and_style_renders(web, mine):
    root = svg_of(web.get(f"/embed/graph/{mine['signups']}.svg?w=5&h=99999"))
    assert (root.get("width"), root.get("height")) == ("60", "1200")
    root = svg_of(web.get(f"/embed/graph/{mine['signups']}.svg?w=123456789&h=-4"))
    assert (root.get("width"), root.get("height")) == ("2000", "20")
    for tf in ("hour", "day", "week", "month", "half", "year", "hour_compare", "half_compare", "year_compare",
               "1h", "1d", "1w", "1M", "3M", "6M", "1y", "all", "1w_compare"):
        for style in ("line", "fill", "bar", "spark", "mini", "fill_bar"):
            svg_of(web.get(f"/embed/graph/{mine['signups']}/{mine['latency']}.svg?tf={tf}&style={style}&w=300&h=100"))
    svg_of(web.get(f"/embed/graph/{mine['signups']}.svg?theme=dark"))


def test_half_is_six_months_at_a_day_each(db):
    from app.interactors import graphs
    from app.timeframes import buckets

    win = graphs.window(None, None, embeds.parse_tf("half")[0], NOW)
    assert win.label == "6 months" and win.step == DAY and 170 <= len(buckets(win.tf, NOW)) <= 190


def test_titles_are_escaped_and_overridable(web, db, account):
    record(db, account, [EzItem(stat="<script>alert(1)</script>", count=1, t=NOW - 60)])
    k = key_of(db, account, "<script>alert(1)</script>")
    for suffix in (".svg", ""):
        body = web.get(f"/embed/graph/{k}{suffix}").get_data(as_text=True)
        assert "<script>alert" not in body and "&lt;script&gt;" in body
    body = web.get(f"/embed/graph/{k}.svg?title=%3Cb%3EMy%20%26%20title").get_data(as_text=True)
    assert "<b>My" not in body and "&lt;b&gt;My &amp; title" in body
    svg_of(web.get(f"/embed/graph/{k}.svg?title=%3Cb%3EMy%20%26%20title"))
    # an empty title: none at all
    body = web.get(f"/embed/graph/{k}.svg?title=").get_data(as_text=True)
    assert 'class="title"' not in body


def test_the_public_page_only_when_public(web, signed_in, db, account, mine):
    key = mine["signups"]
    assert web.get(f"/s/{key}").status_code == 404
    sid = stat_row(db, account.id, "signups")["id"]
    post(signed_in, f"/stats/{sid}/public", {"public": "1"}, token_from=f"/stats/{sid}")
    anon = web.application.test_client()
    r = anon.get(f"/s/{key}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "signups" in html and "<svg" in html and "Last week" in html
    assert "Set-Cookie" not in r.headers and r.headers["ETag"] and r.headers["Cache-Control"] == "public, max-age=60"
    classic = stat_row(db, account.id, "signups")["classic_key"]
    assert classic not in html and "csrf" not in html.lower()
    assert anon.get(f"/s/{key}", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    assert anon.get(f"/s/{key}?tf=1y").status_code == 200
    assert anon.get(f"/s/{key}?tf=nope").status_code == 400
    # the iframe page links to it now
    assert f'href="/s/{key}"' in anon.get(f"/embed/graph/{key}").get_data(as_text=True)
    post(signed_in, f"/stats/{sid}/public", {"public": "0"}, token_from=f"/stats/{sid}")
    assert anon.get(f"/s/{key}").status_code == 404


def test_the_builder_on_the_stat_page(signed_in, db, account, mine):
    sid = stat_row(db, account.id, "signups")["id"]
    key = mine["signups"]
    html = signed_in.get(f"/stats/{sid}").get_data(as_text=True)
    assert 'id="embed-builder"' in html and f"/embed/graph/{key}.svg?w=500&amp;h=200&amp;tf=week_compare" in html
    assert ("&lt;script src=&#34;http://localhost/static/embed.js&#34;&gt;&lt;/script&gt;" in html
            or "&lt;script src=&quot;http://localhost/static/embed.js&quot;&gt;&lt;/script&gt;" in html)
    assert f"StatHatEmbed.render({{s1: &#39;{key}&#39;, w: 500, h: 200, tf: &#39;week_compare&#39;}});" in html
    # the live preview: an htmx GET answers the builder with the new URL and code
    r = signed_in.get(f"/stats/{sid}/embed?size=custom&w=640&h=240&tf=day&style=bar&theme=dark&title=A+%3Cb%3E",
                      headers=HX)
    frag = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in frag
    assert f"/embed/graph/{key}.svg?w=640&amp;h=240&amp;tf=day&amp;style=bar&amp;theme=dark&amp;title=A+%3Cb%3E" in frag
    assert "theme: &#39;dark&#39;" in frag and "title: &#34;A \\u003cb\\u003e&#34;" in frag
    assert "alt=&#34;A &amp;lt;b&amp;gt;&#34;" in frag   # escaped once in the code, and again in the page
    assert "&lt;iframe src=&#34;http://localhost/embed/graph/" in frag
    r = signed_in.get(f"/stats/{sid}/embed?size=300x100", headers=HX)
    assert "w=300&amp;h=100" in r.get_data(as_text=True)
    assert signed_in.get(f"/stats/{sid}/embed?size=custom&w=abc", headers=HX).status_code == 400
    # every preview URL it makes works for anyone
    anon = signed_in.application.test_client()
    src = re.search(r'<img src="([^"]+)"', frag).group(1).replace("&amp;", "&")
    assert anon.get(src).status_code == 200


def test_embed_js_is_served_and_stathat_compatible(web):
    r = web.get("/static/embed.js")
    js = r.get_data(as_text=True)
    assert r.status_code == 200
    for needle in ("StatHatEmbed", "render_graph", "document.currentScript", "statd_embed_graph_", ".svg", "alt"):
        assert needle in js


# -- StatHat's other embed kinds and PNG graphs ------------------------------------------------------


def test_a_png_of_the_graph_for_places_without_svg(web, mine):
    r = web.get(f"/embed/graph/{mine['latency']}.png?w=400&h=150&tf=day")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(r.data[16:20], "big") == 400 and int.from_bytes(r.data[20:24], "big") == 150
    assert r.headers["Cache-Control"] == "public, max-age=60" and r.headers["ETag"]
    again = web.get(f"/embed/graph/{mine['latency']}.png?w=400&h=150&tf=day",
                    headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    assert web.get("/embed/graph/nosuchkey12345.png").status_code == 404


def test_render_text_is_the_last_value_with_its_unit(web, mine):
    r = web.get(f"/embed/text/{mine['latency']}")
    assert r.status_code == 200 and r.mimetype == "text/plain" and r.get_data(as_text=True) == "120 ms\n"
    body = web.get(f"/embed/text/{mine['latency']}.json").get_json()
    assert body["text"] == "120 ms" and body["value"] == 120 and body["label"] == "latest"
    counter = web.get(f"/embed/text/{mine['signups']}.json?tf=hour").get_json()
    assert counter["text"] == "3" and counter["label"] == "total over 1 hour"   # a counter: its total
    assert web.get(f"/embed/text/{mine['signups']}.json?tf=2d").get_json()["text"] == "8"   # a custom duration
    assert "Set-Cookie" not in r.headers and r.headers["Access-Control-Allow-Origin"] == "*"


def test_render_data_is_a_small_summary(web, mine):
    body = web.get(f"/embed/data/{mine['latency']}.json?tf=week").get_json()
    assert body["name"] == "latency" and body["unit"] == "ms" and body["count"] == 2
    assert body["mean"] == 100 and body["min"] == 80 and body["max"] == 120
    assert body["text"]["mean"] == "100 ms" and body["timeframe"] == "1 week"


def test_render_table_lists_the_recent_buckets_newest_first(web, mine):
    body = web.get(f"/embed/table/{mine['latency']}.json?tf=1d1h&rows=3").get_json()
    rows = body["rows"]
    assert len(rows) == 3 and rows[0]["time"] > rows[1]["time"] > rows[2]["time"]
    assert rows[0]["text"] == "120 ms" and rows[0]["count"] == 1 and rows[1]["value"] is None
    assert rows[0]["when"].count(":") == 1   # "Tue Nov 24, 15:00" in the account's zone
    assert web.get(f"/embed/table/{mine['latency']}.json?rows=x").status_code == 400


def test_render_histogram_counts_the_values(web, db, account):
    record(db, account, [EzItem(stat="temp", value=v, t=NOW - i * 3600) for i, v in enumerate(
        [10, 11, 12, 12, 13, 20, 21, 30, 12, 11])])
    key = key_of(db, account, "temp")
    body = web.get(f"/embed/histogram/{key}.json?tf=day").get_json()
    assert sum(b["count"] for b in body["bins"]) == 10
    assert body["bins"][0]["low"] <= 10 and body["bins"][-1]["high"] >= 30
    svg = web.get(f"/embed/histogram/{key}.svg?tf=day&w=300&h=120")
    root = svg_of(svg)
    counts = [int(r.get("data-count")) for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("data-count")]
    assert sum(counts) == 10 and root.get("width") == "300"
    png = web.get(f"/embed/histogram/{key}.png?tf=day")
    assert png.mimetype == "image/png" and png.data[:4] == b"\x89PNG"


def test_other_kinds_need_a_live_key_and_good_parameters(web, db, account, mine, theirs):
    for path in ("/embed/text/short", "/embed/data/nosuchkey12345.json", "/embed/table/" + mine["latency"] + ".svg",
                 "/embed/chart/" + mine["latency"], "/embed/text/" + mine["latency"] + ".exe"):
        assert web.get(path).status_code == 404, path
    assert web.get(f"/embed/data/{mine['latency']}.json?tf=5q").status_code == 400
    assert web.get(f"/embed/data/{theirs}.json").status_code == 200   # a key is its own authority
    db.run(lambda tx: tx.execute("UPDATE stats SET deleted_at = ? WHERE name = 'latency'", (NOW,)))
    assert web.get(f"/embed/text/{mine['latency']}").status_code == 404


def test_embeds_take_the_stat_pages_custom_ranges(web, mine):
    start, end = NOW - 1800, NOW - 60   # the reading at NOW - 300 is in it
    r = web.get(f"/embed/graph/{mine['latency']}.svg?start={start}&end={end}")
    assert r.status_code == 200
    meta = ET.fromstring(r.get_data(as_text=True)).find("{http://www.w3.org/2000/svg}metadata")
    data = json.loads(meta.text)
    assert data["t0"] >= start - 600 and data["t1"] <= end + 600
    assert web.get(f"/embed/graph/{mine['latency']}.svg?tf=2d1h").status_code == 200
    assert web.get(f"/embed/graph/{mine['latency']}.svg?start=5").status_code == 400
