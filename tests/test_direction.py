"""Up is good / up is bad / neutral: a stat's setting that alone decides whether a change is green or red,
on the stat page, dashboard tiles and report mails."""

from __future__ import annotations

import re

from app.interactors import dashboards as dash
from app.interactors import reports as rp
from app.interactors.accounts import create_account, get_account
from app.interactors.ingest import EzItem, record_ez
from app.mail import read_outbox
from app.numbers import tone
from app.rollups import DAY
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.web_helpers import post


def test_tone_follows_the_direction_only():
    assert [tone(4.2, d) for d in ("neutral", "up", "down", None)] == ["", "good", "bad", ""]
    assert [tone(-4.2, d) for d in ("neutral", "up", "down")] == ["", "bad", "good"]
    assert tone(0, "up") == "" and tone(None, "down") == ""


def _latency(db, account):
    # A day's latency twice as high as the day before: "+100%" is bad news for a response time.
    items = [EzItem(stat="latency", value=200.0, t=NOW - 600), EzItem(stat="latency", value=100.0, t=NOW - DAY - 600)]
    record_ez(db, account.ezkey, items, NOW, bulk=True)
    return stat_row(db, account.id, "latency")["id"]


def _direction(db, stat_id):
    return db.read(lambda tx: tx.scalar("SELECT direction FROM stats WHERE id = ?", (stat_id,)))


def _change_class(html: str) -> str:
    return re.search(r'<span class="change ?([a-z]*)"', html).group(1)


def test_the_setting_is_stored_and_colours_the_stat_page(signed_in, db, account):
    sid = _latency(db, account)
    assert _direction(db, sid) == "neutral"   # the default: no colour at all
    assert _change_class(signed_in.get(f"/stats/{sid}?tf=1d").get_data(as_text=True)) == ""
    r = post(signed_in, f"/stats/{sid}/direction", {"direction": "down"}, htmx=True)
    assert r.status_code == 200 and 'value="down" selected' in r.get_data(as_text=True)
    assert r.headers["HX-Trigger"] == "stat-changed" and _direction(db, sid) == "down"
    html = signed_in.get(f"/stats/{sid}?tf=1d").get_data(as_text=True)
    assert _change_class(html) == "bad" and "+100% vs previous day" in html
    post(signed_in, f"/stats/{sid}/direction", {"direction": "up"}, htmx=True)
    assert _change_class(signed_in.get(f"/stats/{sid}?tf=1d").get_data(as_text=True)) == "good"


def test_a_bad_direction_is_refused_and_changes_nothing(signed_in, db, account, web):
    sid = _latency(db, account)
    r = post(signed_in, f"/stats/{sid}/direction", {"direction": "sideways"}, htmx=True)
    assert r.status_code == 400 and "Direction must be one of neutral, up, down" in r.get_data(as_text=True)
    assert _direction(db, sid) == "neutral"
    r = signed_in.post(f"/stats/{sid}/direction", data={"direction": "up"})   # no CSRF token
    assert r.status_code in (400, 403) and _direction(db, sid) == "neutral"


def test_another_account_cannot_set_it(db, web, account):
    sid = _latency(db, account)
    from tests.web_helpers import login

    create_account(db, "mallory@example.com", "password-mallory", NOW)
    client = login(web, "mallory@example.com", "password-mallory")
    r = post(client, f"/stats/{sid}/direction", {"direction": "up"}, htmx=True)
    assert r.status_code == 404 and _direction(db, sid) == "neutral"


def test_dashboard_tiles_colour_the_change_by_direction(db, account):
    sid = _latency(db, account)
    acct = get_account(db, account.id)
    board = dash.create_dashboard(db, account.id, "Ops", NOW)
    dash.add_tile(db, acct, board, [str(sid)], "1d", "1", "", NOW)
    [tile] = dash.dashboard_view(db, acct, board, NOW)["tiles"]
    assert round(tile["stats"][0]["change"]) == 100 and tile["stats"][0]["tone"] == ""
    db.run(lambda tx: tx.execute("UPDATE stats SET direction = 'down' WHERE id = ?", (sid,)))
    [tile] = dash.dashboard_view(db, acct, board, NOW)["tiles"]
    assert tile["stats"][0]["tone"] == "bad"


def test_report_mails_colour_the_change_by_direction(db, config):
    acct = create_account(db, "rep@example.com", "password-rep", NOW - 30 * DAY)
    record_ez(db, acct.ezkey, [EzItem(stat="errors", count=10, t=NOW - DAY - 3600),
                               EzItem(stat="errors", count=5, t=NOW - 2 * DAY - 3600)], NOW, bulk=True)
    rp.save_settings(db, acct.id, daily=True, weekly=False, hour=9, stat_ids=[], now=NOW - DAY)

    def mail_html():
        return "".join(m.get_body(("html",)).get_content() for _, m in read_outbox(config.var_dir))

    due = db.read(lambda tx: tx.scalar("SELECT due_at FROM report_schedules WHERE period = 'daily'"))
    assert rp.send_due_reports(db, config, due, "w1")["sent"] == 1
    assert 'class="change-neutral"' in mail_html() and "+100%" in mail_html()
    db.run(lambda tx: tx.execute("UPDATE stats SET direction = 'down' WHERE name = 'errors'"))
    rp.save_settings(db, acct.id, daily=True, weekly=False, hour=9, stat_ids=[], now=NOW - DAY)   # the same day again
    due = db.read(lambda tx: tx.scalar("SELECT due_at FROM report_schedules WHERE period = 'daily'"))
    assert rp.send_due_reports(db, config, due, "w1")["sent"] == 1
    assert len(read_outbox(config.var_dir)) == 2
    assert 'class="change-bad"' in mail_html() and "#dc2626" in mail_html()
