"""Alerts people can live with: honest states, edit and pause, add from the alerts page, units,
field errors that point at their field, and mail that says what was compared."""

from __future__ import annotations

import dataclasses

from app.graphs import fmt_number
from app.interactors.alerts import check_due
from app.interactors.notify import deliver_due
from app.storage import stats as sq
from tests.conftest import NOW
from tests.test_alerts import alert, post
from tests.test_worker import smtp  # noqa: F401  (the smtp fixture)
from tests.web_helpers import csrf_token

HX = {"HX-Request": "true"}


def row(db, alert_id):
    return db.read(lambda tx: tx.one("SELECT kind, time_window, operator, threshold, percentage, time_delta, state,"
                                     " paused, last_checked_at, email FROM alerts WHERE id = ?", (alert_id,)))


def set_unit(db, account, stat_id, unit):
    db.run(lambda tx: sq.update_stat(tx, account.id, stat_id, unit=unit))


def test_a_new_alert_says_not_checked_yet_then_ok_once_checked(signed_in, db, account):
    sid = post(db, account, "latency", NOW - 30, value=120)
    alert(db, account, sid, kind="value", time_window="5m", operator="greater than", threshold="250")
    html = signed_in.get("/alerts").get_data(as_text=True)
    assert "not checked yet" in html and 'class="alert-state ok"' not in html
    check_due(db, NOW)
    html = signed_in.get("/alerts").get_data(as_text=True)
    assert 'class="alert-state ok"' in html and "not checked yet" not in html


def test_thresholds_and_values_carry_the_stats_unit(signed_in, db, account):
    sid = post(db, account, "latency", NOW - 30, value=120)
    set_unit(db, account, sid, "ms")
    alert(db, account, sid, kind="value", time_window="5m", operator="greater than", threshold="250")
    check_due(db, NOW)
    html = signed_in.get("/alerts").get_data(as_text=True)
    assert "is greater than 250 ms" in html and '120 <span class="unit">ms</span>' in html
    panel = signed_in.get(f"/stats/{sid}/alerts", headers=HX).get_data(as_text=True)
    assert '<span class="unit" data-unit-label>ms</span>' in panel    # beside the threshold field


def test_an_alert_is_edited_and_starts_afresh(signed_in, db, account):
    sid = post(db, account, "errors", NOW - 30, count=50)
    a = alert(db, account, sid, kind="value", time_window="5m", operator="greater than", threshold="10")
    check_due(db, NOW)
    assert row(db, a["id"])["state"] == "triggered"
    form = signed_in.get(f"/alerts/{a['id']}/edit", headers=HX).get_data(as_text=True)
    assert 'name="threshold"' in form and 'value="10.0"' in form
    token = csrf_token(signed_in, "/alerts")
    r = signed_in.post(f"/alerts/{a['id']}", headers=HX, data={
        "csrf_token": token, "kind": "delta", "time_window": "1h", "operator": "different than", "percentage": "25",
        "time_delta": "1d", "reminder_hours": "0"})
    assert r.status_code == 200 and "Alert saved." in r.get_data(as_text=True)
    assert row(db, a["id"]) == {"kind": "delta", "time_window": "1h", "operator": "different than", "threshold": None,
                                "percentage": 25.0, "time_delta": "1d", "state": "ok", "paused": 0,
                                "last_checked_at": None, "email": 0}
    # A bad edit marks its field and changes nothing.
    r = signed_in.post(f"/alerts/{a['id']}", headers=HX, data={
        "csrf_token": token, "kind": "value", "time_window": "5m", "operator": "greater than", "threshold": "lots"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert f'id="edit-{a["id"]}-threshold"' in html and 'aria-invalid="true"' in html
    assert f'aria-describedby="edit-{a["id"]}-threshold-error"' in html and "threshold must be a number" in html
    assert row(db, a["id"])["kind"] == "delta"
    assert signed_in.post(f"/alerts/{a['id']}", data={"kind": "data", "time_window": "5m"}).status_code == 400  # CSRF
    assert row(db, a["id"])["kind"] == "delta"


def test_a_paused_alert_is_not_checked_until_resumed(signed_in, db, account):
    sid = post(db, account, "errors", NOW - 30, count=50)
    a = alert(db, account, sid, kind="value", time_window="5m", operator="greater than", threshold="10")
    token = csrf_token(signed_in, "/alerts")
    r = signed_in.post(f"/alerts/{a['id']}/pause", headers=HX, data={"csrf_token": token, "paused": "1"})
    assert r.status_code == 200 and 'class="alert-state paused"' in r.get_data(as_text=True)
    assert row(db, a["id"])["paused"] == 1
    assert check_due(db, NOW + 60)["checked"] == 0 and row(db, a["id"])["state"] == "ok"
    r = signed_in.post(f"/alerts/{a['id']}/pause", data={"csrf_token": token, "paused": "0", "panel": "1"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/stats/{sid}/alerts")
    assert row(db, a["id"])["paused"] == 0
    assert check_due(db, NOW + 120)["triggered"] == 1


def test_an_alert_is_added_from_the_alerts_page(signed_in, db, account, other_account):
    sid = post(db, account, "signups", NOW - 30, count=1)
    theirs = post(db, other_account, "theirs", NOW - 30, count=1)
    html = signed_in.get("/alerts").get_data(as_text=True)
    assert 'name="stat_id"' in html and "theirs" not in html
    token = csrf_token(signed_in, "/alerts")
    data = {"csrf_token": token, "stat_id": str(sid), "kind": "data", "time_window": "1h", "email": "on"}
    r = signed_in.post("/alerts", headers=HX, data=data)
    assert r.status_code == 200 and "Alert added." in r.get_data(as_text=True)
    assert db.read(lambda tx: tx.all("SELECT stat_id, kind, time_window FROM alerts")) == [
        {"stat_id": sid, "kind": "data", "time_window": "1h"}]
    # Another account's stat, or none: the stat field is marked and nothing is stored.
    for bad in (str(theirs), "", "x"):
        r = signed_in.post("/alerts", headers=HX, data={**data, "stat_id": bad})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and 'id="new-stat" name="stat_id" data-unit-select aria-invalid="true"' in html
        assert "pick one of your stats" in html
    assert db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM alerts")) == 1


def test_the_alert_mail_states_the_threshold_and_value_with_units(db, account, config, smtp):  # noqa: F811
    config = dataclasses.replace(config, smtp_url=smtp.url)
    sid = post(db, account, "latency", NOW - 30, value=300)
    set_unit(db, account, sid, "ms")
    alert(db, account, sid, kind="value", time_window="5m", operator="greater than", threshold="250")
    check_due(db, NOW)
    deliver_due(db, config, NOW, "w1")
    msg = smtp.messages[0]
    assert msg["Subject"] == "[Eyrie] ALERT: latency: average over the last 5 minutes is greater than 250 ms"
    text = msg.get_body(("plain",)).get_content()
    # Values in the one number format the graphs and pages use (app.graphs.fmt_number).
    assert f"Threshold: greater than {fmt_number(250, 'ms')}" in text
    assert f"Average over the last 5 minutes: {fmt_number(300, 'ms')}" in text
    assert f"(now {fmt_number(300, 'ms')})" in text


def test_a_delta_alert_mail_states_the_percentage_and_both_values(db, account, config, smtp):  # noqa: F811
    config = dataclasses.replace(config, smtp_url=smtp.url)
    sid = post(db, account, "orders", NOW - 3600 - 30, count=100)
    post(db, account, "orders", NOW - 30, count=150)
    set_unit(db, account, sid, "$")
    alert(db, account, sid, kind="delta", time_window="5m", operator="greater than", percentage="20", time_delta="1h")
    assert check_due(db, NOW)["triggered"] == 1
    deliver_due(db, config, NOW, "w1")
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert "Rule: a change of 20% (greater than)" in text
    assert "Change: +50.0%" in text and "Now: $150" in text and "An hour ago: $100" in text
    assert "now $150, $100 an hour ago: +50.0%" in text
