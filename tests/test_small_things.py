"""Smaller things people ran into: changing a password, every timezone, the dev outbox, a public
stat's URL at once."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from app.interactors.accounts import authenticate
from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.web_helpers import csrf_token, login

HX = {"HX-Request": "true"}


def test_a_signed_in_person_changes_their_password(signed_in, web, db, account, config):
    from app.web import create_web_app

    other = login(create_web_app(config, db).test_client(), account.email, "password-ann")   # another session
    token = csrf_token(signed_in, "/settings")
    base = {"csrf_token": token, "current_password": "password-ann", "new_password": "a-new-secret",
            "confirm": "a-new-secret"}
    for wrong, field, msg in (({"current_password": "nope"}, "current_password", "current password is not right"),
                              ({"new_password": "short", "confirm": "short"}, "new_password", "at least 8"),
                              ({"confirm": "different-one"}, "confirm", "differ")):
        r = signed_in.post("/settings/password", data={**base, **wrong}, headers=HX)
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and msg in html
        assert f'id="{field}" name="{field}" type="password"' in html
        assert f'aria-invalid="true" aria-describedby="{field}-error"' in html
    assert authenticate(db, account.email, "password-ann")["id"] == account.id       # nothing changed yet
    assert signed_in.post("/settings/password", data={**base, "csrf_token": ""}).status_code == 400   # CSRF
    r = signed_in.post("/settings/password", data=base, headers=HX)
    assert r.status_code == 200 and "Your password was changed." in r.get_data(as_text=True)
    assert authenticate(db, account.email, "a-new-secret")["id"] == account.id
    assert signed_in.get("/settings").status_code == 200                     # this session stays signed in
    assert other.get("/settings").status_code == 302                          # the other one is signed out


def test_every_timezone_is_offered_and_the_signup_form_guesses_one(web, signed_in, account):
    html = signed_in.get("/settings").get_data(as_text=True)
    for tz in ("Asia/Kathmandu", "America/Argentina/Buenos_Aires", "Pacific/Chatham", "Etc/GMT+5"):
        assert f'<option value="{tz}"' in html
    assert html.count("<option value=") >= len(available_timezones())
    web.post("/logout", data={"csrf_token": csrf_token(signed_in, "/settings")})
    signup = web.get("/signup").get_data(as_text=True)
    assert "data-guess-timezone" in signup and '<option value="Asia/Kathmandu"' in signup


def test_the_dev_outbox_lists_mail_by_subject_and_time_and_renders_the_html(config, db, account):
    from app.interactors.reports import save_settings, send_now
    from app.web import create_web_app, dev

    record_ez(db, account.ezkey, [EzItem(stat="orders", count=5, t=NOW - 86400)], NOW, bulk=True)
    save_settings(db, account.id, daily=True, weekly=False, hour=8, stat_ids=[], now=NOW)
    send_now(db, config, account.id, "daily", NOW)
    app = create_web_app(config, db)
    app.register_blueprint(dev.bp)
    client = app.test_client()
    html = client.get("/dev/outbox").get_data(as_text=True)
    assert "[Eyrie] Daily report for Mon 23 Nov 2026" in html and f"to {account.email}" in html
    link = re.search(r'href="(/dev/outbox/[0-9]+-[0-9a-f]{8}\.eml)"', html).group(1)
    one = client.get(link).get_data(as_text=True)
    assert "<iframe" in one and "sandbox" in one and "As plain text" in one
    r = client.get(link + "/html")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html" and "orders" in body
    assert "cid:" not in body and "data:image/png;base64," in body          # the inline graph shows
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert client.get("/dev/outbox/../../secret_key").status_code == 404
    assert client.get("/dev/outbox/1-00000000.eml").status_code == 404


def test_making_a_stat_public_shows_its_public_url_at_once(signed_in, db, account):
    record_ez(db, account.ezkey, [EzItem(stat="visits", count=1, t=NOW)], NOW, bulk=True)
    stat = stat_row(db, account.id, "visits")
    token = csrf_token(signed_in, f"/stats/{stat['id']}")
    r = signed_in.post(f"/stats/{stat['id']}/public", data={"csrf_token": token, "public": "1"}, headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f'<a href="/s/{stat["embed_key"]}" id="public-url">http://localhost/s/{stat["embed_key"]}</a>' in html
    assert stat_row(db, account.id, "visits")["public"] == 1
    r = signed_in.post(f"/stats/{stat['id']}/public", data={"csrf_token": token, "public": "0"}, headers=HX)
    assert 'id="public-url"' not in r.get_data(as_text=True) and stat_row(db, account.id, "visits")["public"] == 0


def test_the_public_page_shows_no_alert_marks_to_anonymous_viewers(signed_in, web, db, account, config, clock):
    from app.interactors import alerts as al
    from app.web import create_web_app

    record_ez(db, account.ezkey, [EzItem(stat="marked", count=900, t=NOW - 120)], NOW, bulk=True)
    stat = stat_row(db, account.id, "marked")
    al.create_alert(db, account.id, stat["id"], {"kind": "value", "time_window": "1h", "operator": "greater than",
                                                 "threshold": "500"}, NOW - 3600)
    al.check_due(db, NOW - 60)
    token = csrf_token(signed_in, f"/stats/{stat['id']}")
    signed_in.post(f"/stats/{stat['id']}/public", data={"csrf_token": token, "public": "1"})
    assert 'eyrie-mark-triggered' in signed_in.get(f"/stats/{stat['id']}?tf=1d").get_data(as_text=True)  # owner
    anon = create_web_app(config, db, clock).test_client()
    r = anon.get(f"/s/{stat['embed_key']}?tf=1d")
    assert r.status_code == 200 and "marked" in r.get_data(as_text=True)
    assert "eyrie-mark" not in r.get_data(as_text=True)


def test_a_bad_embed_key_answers_a_readable_placeholder(web, db, account):
    record_ez(db, account.ezkey, [EzItem(stat="visits", count=1, t=NOW)], NOW, bulk=True)
    for path in ("/embed/graph/nosuchkeyatall0000000.svg?w=320&h=120", "/embed/graph/x.svg"):
        r = web.get(path)
        body = r.get_data(as_text=True)
        assert r.status_code == 404 and r.mimetype == "image/svg+xml"
        assert "Graph not available" in body and body.startswith("<svg")
    assert 'width="320" height="120"' in web.get("/embed/graph/nosuchkeyatall0000000.svg?w=320&h=120").get_data(
        as_text=True)
    assert web.get("/embed/graph/nosuchkeyatall0000000").status_code == 404     # the iframe page: the error page


def test_the_range_label_of_long_timeframes_has_years(signed_in, db, account):
    record_ez(db, account.ezkey, [EzItem(stat="visits", count=1, t=NOW)], NOW, bulk=True)
    sid = stat_row(db, account.id, "visits")["id"]
    html = signed_in.get(f"/stats/{sid}?tf=1y", headers=HX).get_data(as_text=True)
    assert re.search(r'graph-range">1 year @ [^·]+· Nov \d+, 2025 – Nov 24, 2026 UTC', html)
    day = signed_in.get(f"/stats/{sid}?tf=1d", headers=HX).get_data(as_text=True)
    assert "Nov 24 15:30 UTC" in day
