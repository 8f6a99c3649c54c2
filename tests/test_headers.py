"""Security headers (issue 8): app pages cannot be framed or sniffed and run under a strict
Content-Security-Policy; embeds stay frameable by any site; public answers never carry the session
cookie, even for a signed-in visitor."""

from __future__ import annotations

import re

import pytest

from app.interactors import dashboards as dash
from app.interactors.accounts import get_account
from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.helpers import stat_row


@pytest.fixture
def stat(db, account):
    record_ez(db, account.ezkey, [EzItem(stat="signups", count=3, t=NOW - 600)], NOW, bulk=True)
    db.run(lambda tx: tx.execute("UPDATE stats SET public = 1 WHERE name = 'signups'"))   # so /s/KEY answers
    return stat_row(db, account.id, "signups")


@pytest.fixture
def shared_token(db, account, stat):
    acc = get_account(db, account.id)
    board = dash.create_dashboard(db, account.id, "Production", NOW)
    dash.add_tile(db, acc, board, [str(stat["id"])], "1h", "1", "", NOW)
    dash.share_dashboard(db, acc, board)
    return db.read(lambda tx: tx.scalar("SELECT share_token FROM dashboards WHERE id = ?", (board,)))


def csp(resp) -> dict[str, str]:
    policy = resp.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def app_pages(stat, shared_token) -> list[str]:
    sid = stat["id"]
    return ["/", f"/stats/{sid}", f"/stats/{sid}/alerts", "/dashboards", "/dashboards/1", f"/analyze?s={sid}",
            "/alerts", "/settings", "/docs", "/trash", "/no-such-page"]


def assert_app_headers(r, path):
    assert r.headers.get("X-Frame-Options") == "DENY", path
    assert r.headers.get("X-Content-Type-Options") == "nosniff", path
    assert r.headers.get("Referrer-Policy") == "same-origin", path
    policy = csp(r)
    assert policy.get("frame-ancestors") == "'none'", path
    assert policy.get("script-src") == "'self'", path          # no inline script, no eval
    assert policy.get("default-src") == "'self'" and policy.get("object-src") == "'none'", path
    assert policy.get("base-uri") == "'none'" and policy.get("form-action") == "'self'", path


def test_every_app_page_forbids_framing_and_sniffing(signed_in, web, stat, shared_token):
    for path in app_pages(stat, shared_token):
        r = signed_in.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert_app_headers(r, path)
    for path in ("/login", "/signup", "/reset"):
        assert_app_headers(web.get(path), path)
    # htmx fragments and JSON answers too
    assert_app_headers(signed_in.get("/dashboards", headers={"HX-Request": "true"}), "htmx")
    assert_app_headers(signed_in.get("/", headers={"Accept": "application/json"}), "json")


def test_app_pages_hold_no_inline_script_so_the_policy_can_forbid_it(signed_in, web, stat, shared_token):
    pages = [signed_in.get(p) for p in app_pages(stat, shared_token)] + [web.get("/signup"), web.get("/login")]
    pages.append(web.get(f"/d/{shared_token}"))
    for r in pages:
        html = r.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all(" src=" in s for s in scripts), (r.request.path, scripts)
        assert not re.search(r"\shx-on[:-]", html), r.request.path          # hx-on needs eval
        assert not re.search(r"\son[a-z]+\s*=", html), r.request.path      # onclick= and the like
        assert not re.search(r'hx-trigger="[^"]*\[', html), r.request.path  # trigger filters need eval too
        assert "javascript:" not in html, r.request.path


def test_htmx_is_told_not_to_eval(web, shared_token):
    for path in ("/login", f"/d/{shared_token}"):
        html = web.get(path).get_data(as_text=True)
        assert '<meta name="htmx-config" content=\'{"allowEval": false,' in html, path


def test_embeds_stay_frameable_by_any_site(web, stat):
    key = stat["embed_key"]
    svg = web.get(f"/embed/graph/{key}.svg")
    frame = web.get(f"/embed/graph/{key}")
    public = web.get(f"/s/{key}")
    for r in (svg, frame, public):
        assert r.status_code == 200, r.request.path
        assert "X-Frame-Options" not in r.headers, r.request.path
        assert csp(r).get("frame-ancestors", "*") == "*", r.request.path
        assert r.headers["X-Content-Type-Options"] == "nosniff", r.request.path
    # The embed's own stricter policies are kept (nothing to load but inline styles).
    assert csp(svg) == {"default-src": "'none'", "style-src": "'unsafe-inline'"}
    assert csp(frame)["default-src"] == "'none'" and csp(frame)["frame-ancestors"] == "*"
    assert csp(public)["script-src"] == "'self'"
    # A wrong key's error page is an embed answer too.
    missing = web.get("/embed/graph/nope.svg")
    assert missing.status_code == 404 and "X-Frame-Options" not in missing.headers


def test_shared_dashboards_keep_their_own_no_referrer(web, shared_token):
    r = web.get(f"/d/{shared_token}")
    assert r.status_code == 200 and r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY" and csp(r)["frame-ancestors"] == "'none'"


def test_no_hsts_on_plain_http_but_a_year_of_it_behind_https(db, config, clock):
    import dataclasses

    from app.web import create_web_app

    plain = create_web_app(config, db, clock).test_client()
    assert "Strict-Transport-Security" not in plain.get("/login").headers
    https = create_web_app(dataclasses.replace(config, base_url="https://eyrie.example.com"), db, clock).test_client()
    r = https.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 200 and r.headers["Strict-Transport-Security"].startswith("max-age=31556926")
    assert "Secure" in https.get("/login").headers.get("Set-Cookie", "Secure")


# -- no session cookie on public answers ----------------------------------------------------------------


def test_public_answers_never_carry_the_session_cookie_even_when_signed_in(signed_in, stat, shared_token):
    key = stat["embed_key"]
    # An app page does refresh the (permanent) session cookie: the thing the public answers must not do.
    assert "eyrie_session=" in signed_in.get("/").headers.get("Set-Cookie", "")
    for path in (f"/embed/graph/{key}.svg", f"/embed/graph/{key}", f"/s/{key}"):
        r = signed_in.get(path)
        assert r.status_code == 200, path
        assert "Set-Cookie" not in r.headers, path
        assert r.headers["Cache-Control"] == "public, max-age=60", path
        assert "Cookie" not in r.vary, path
        # ... and a revalidation (304) neither
        again = signed_in.get(path, headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304 and "Set-Cookie" not in again.headers, path
    for path in (f"/d/{shared_token}", f"/d/{shared_token}/tv", "/static/app.css", "/static/htmx-2.0.11.min.js",
                 "/embed/graph/no-such-key.svg"):
        r = signed_in.get(path)
        assert "Set-Cookie" not in r.headers, path
    # The session itself is untouched: still signed in.
    assert signed_in.get("/settings").status_code == 200
