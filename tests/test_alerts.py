"""Alert checks with a pinned clock (each kind crossing and clearing), reminders, history, and the UI."""

from __future__ import annotations

import pytest

from app.errors import Invalid, NotFound
from app.interactors.alerts import alert_marks, check_due, create_alert
from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.helpers import count_rows, stat_row
from tests.web_helpers import csrf_token


def post(db, account, stat, t, *, count=None, value=None):
    record_ez(db, account.ezkey, [EzItem(stat=stat, count=count, value=value, t=t)], t, bulk=True)
    return stat_row(db, account.id, stat)["id"]


def alert(db, account, stat_id, at=NOW, **params):
    params.setdefault("email", "on")
    # Webhooks here go to 127.0.0.1 (EYRIE_WEBHOOK_ALLOW_PRIVATE=1); the refusals are tested below.
    return create_alert(db, account.id, stat_id, params, at, allow_private=True)


@pytest.fixture
def dns(monkeypatch):
    from tests.support.dns import FakeDns

    fake = FakeDns(monkeypatch)
    fake.set("hooks.example.com", ["93.184.215.14"])
    return fake


def state(db, alert_id):
    return db.read(lambda tx: tx.one("SELECT state, state_since, last_value, last_notified_at FROM alerts WHERE id = ?",
                                     (alert_id,)))


def events(db, alert_id):
    return [(r["kind"], r["created_at"]) for r in db.read(lambda tx: tx.all(
        "SELECT kind, created_at FROM alert_events WHERE alert_id = ? ORDER BY id", (alert_id,)))]


def notifications(db, alert_id):
    return db.read(lambda tx: tx.all("SELECT channel, target, status FROM notifications WHERE alert_id = ? ORDER BY id",
                                     (alert_id,)))


def test_a_counter_value_alert_triggers_above_its_threshold_and_clears_when_the_window_moves_on(db, account):
    sid = post(db, account, "errors", NOW - 30, count=5)
    a = alert(db, account, sid, kind="value", time_window="5m", operator="greater than", threshold="10")
    assert check_due(db, NOW) == {"checked": 1, "triggered": 0, "ok": 0, "reminder": 0}
    assert state(db, a["id"])["state"] == "ok" and state(db, a["id"])["last_value"] == 5
    assert check_due(db, NOW)["checked"] == 0          # not due again until a minute later

    post(db, account, "errors", NOW + 30, count=10)
    assert check_due(db, NOW + 60)["triggered"] == 1
    s = state(db, a["id"])
    assert (s["state"], s["state_since"], s["last_value"]) == ("triggered", NOW + 60, 15)
    assert check_due(db, NOW + 120)["triggered"] == 0  # still triggered: no second notification

    # Five minutes on, both posts have left the window.
    assert check_due(db, NOW + 400)["ok"] == 1
    assert state(db, a["id"])["state"] == "ok"
    assert events(db, a["id"]) == [("triggered", NOW + 60), ("ok", NOW + 400)]
    assert notifications(db, a["id"]) == [{"channel": "email", "target": account.email, "status": "pending"}] * 2


def test_a_value_stat_alert_uses_the_mean_and_keeps_its_state_without_data(db, account):
    sid = post(db, account, "latency", NOW - 100, value=100)
    post(db, account, "latency", NOW - 90, value=300)
    a = alert(db, account, sid, kind="value", time_window="5m", operator="less than", threshold="150")
    check_due(db, NOW)
    assert state(db, a["id"])["last_value"] == 200 and state(db, a["id"])["state"] == "ok"
    post(db, account, "latency", NOW + 10, value=10)   # mean (100 + 300 + 10) / 3 = 136.7
    assert check_due(db, NOW + 60)["triggered"] == 1
    # No data at all: the mean is unknown, so the alert stays as it was.
    assert check_due(db, NOW + 3600)["checked"] == 1
    assert state(db, a["id"])["state"] == "triggered" and state(db, a["id"])["last_value"] is None


def test_a_delta_alert_compares_the_window_with_the_same_window_time_delta_earlier(db, account):
    sid = post(db, account, "signups", NOW - 3600 - 100, count=10)   # an hour ago
    post(db, account, "signups", NOW - 100, count=10)                # now: the same
    a = alert(db, account, sid, kind="delta", time_window="5m", operator="greater than", percentage="50",
              time_delta="1h")
    check_due(db, NOW)
    assert state(db, a["id"])["state"] == "ok"
    post(db, account, "signups", NOW + 20, count=6)                  # 16 against 10: +60 %
    assert check_due(db, NOW + 60)["triggered"] == 1
    post(db, account, "signups", NOW + 3600 - 100, count=30)        # an hour later: 30 against 16
    post(db, account, "signups", NOW + 3600 - 150, count=1)
    assert check_due(db, NOW + 3600)["triggered"] == 0              # +94 %: still triggered
    assert check_due(db, NOW + 7000)["ok"] == 1                     # both windows empty now: no change
    assert [k for k, _ in events(db, a["id"])] == ["triggered", "ok"]


def test_a_different_than_delta_alert_fires_both_ways(db, account):
    sid = post(db, account, "load", NOW - 86400 - 100, value=10)
    post(db, account, "load", NOW - 100, value=4)
    a = alert(db, account, sid, kind="delta", time_window="1h", operator="different than", percentage="50",
              time_delta="1d")
    assert check_due(db, NOW)["triggered"] == 1                     # 4 against 10: -60 %
    post(db, account, "load", NOW - 50, value=16)                    # mean 10: no change
    assert check_due(db, NOW + 60)["ok"] == 1
    assert state(db, a["id"])["last_value"] == 10


def test_a_data_alert_fires_when_nothing_arrives_and_clears_when_data_comes(db, account):
    sid = post(db, account, "heartbeat", NOW - 600, count=1)
    a = alert(db, account, sid, kind="data", time_window="5m")
    assert check_due(db, NOW)["triggered"] == 1
    post(db, account, "heartbeat", NOW + 30, count=1)
    assert check_due(db, NOW + 60)["ok"] == 1
    assert check_due(db, NOW + 400)["triggered"] == 1
    assert [k for k, _ in events(db, a["id"])] == ["triggered", "ok", "triggered"]


def test_reminders_repeat_every_n_hours_while_triggered(db, account):
    sid = post(db, account, "queue", NOW - 10, count=100)
    a = alert(db, account, sid, kind="value", time_window="1d", operator="greater than", threshold="50",
              reminder_hours="2", webhook_url="http://127.0.0.1:9/hook")
    assert check_due(db, NOW)["triggered"] == 1
    assert check_due(db, NOW + 7140)["reminder"] == 0
    assert check_due(db, NOW + 7200)["reminder"] == 1
    assert check_due(db, NOW + 7260)["reminder"] == 0
    assert check_due(db, NOW + 14400)["reminder"] == 1
    assert [k for k, _ in events(db, a["id"])] == ["triggered", "reminder", "reminder"]
    # Two channels per event.
    assert [n["channel"] for n in notifications(db, a["id"])] == ["email", "webhook"] * 3


def test_an_alert_without_channels_keeps_history_only(db, account):
    sid = post(db, account, "quiet", NOW - 600, count=1)
    a = create_alert(db, account.id, sid, {"kind": "data", "time_window": "5m", "email": "off"}, NOW)
    check_due(db, NOW)
    assert [k for k, _ in events(db, a["id"])] == ["triggered"] and notifications(db, a["id"]) == []


def test_alerts_on_stats_in_the_trash_are_not_checked_and_are_purged_with_the_stat(db, account):
    from app.interactors.stats import purge_trash, trash_stat

    sid = post(db, account, "gone", NOW - 600, count=1)
    a = alert(db, account, sid, kind="data", time_window="5m")
    trash_stat(db, account.id, sid, NOW - 10)
    assert check_due(db, NOW)["checked"] == 0
    assert events(db, a["id"]) == []
    purge_trash(db, NOW + 49 * 3600)
    assert count_rows(db, "alerts") == 0


def test_alert_marks_list_when_a_stats_alerts_changed_state(db, account):
    sid = post(db, account, "beat", NOW - 600, count=1)
    alert(db, account, sid, kind="data", time_window="5m")
    check_due(db, NOW)
    post(db, account, "beat", NOW + 30, count=1)
    check_due(db, NOW + 60)
    assert alert_marks(db, account.id, sid, NOW - 3600, NOW + 3600) == [(NOW, "triggered"), (NOW + 60, "ok")]
    assert alert_marks(db, account.id, sid, NOW + 1, NOW + 3600) == [(NOW + 60, "ok")]
    assert alert_marks(db, account.id + 1000, sid, 0, NOW * 2) == []


def test_an_alert_cannot_be_made_on_another_accounts_stat(db, account, other_account):
    sid = post(db, other_account, "theirs", NOW, count=1)
    with pytest.raises(NotFound):
        alert(db, account, sid, kind="data", time_window="5m")
    assert count_rows(db, "alerts") == 0


# -- the UI ------------------------------------------------------------------------------------


def htmx_post(client, path, data, token):
    return client.post(path, data={**data, "csrf_token": token}, headers={"HX-Request": "true"})


def test_the_stat_panel_shows_a_form_and_adding_an_alert_swaps_the_panel(signed_in, db, account, dns):
    sid = post(db, account, "orders", NOW - 30, count=3)
    r = signed_in.get(f"/stats/{sid}/alerts", headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="alerts-panel"' in html and "<html" not in html and "Add alert" in html
    token = csrf_token(signed_in, f"/stats/{sid}/alerts")
    r = htmx_post(signed_in, f"/stats/{sid}/alerts", {"kind": "value", "time_window": "1h", "operator": "greater than",
                                                      "threshold": "2", "reminder_hours": "3", "email": "on",
                                                      "webhook_url": "https://hooks.example.com/x"}, token)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "sum over the last hour is greater than 2" in html
    assert "reminder every 3 h" in html and "hooks.example.com" in html
    row = db.read(lambda tx: tx.one("SELECT * FROM alerts"))
    assert row["webhook_secret"] in html and row["reminder_hours"] == 3 and row["email"] == 1

    # The full page (no htmx) wraps the same partial in the app layout.
    page = signed_in.get(f"/stats/{sid}/alerts").get_data(as_text=True)
    assert "<html" in page and 'id="alerts-panel"' in page


def test_bad_alert_input_is_shown_in_the_form_and_stores_nothing(signed_in, db, account):
    sid = post(db, account, "orders", NOW - 30, count=3)
    token = csrf_token(signed_in, f"/stats/{sid}/alerts")
    r = htmx_post(signed_in, f"/stats/{sid}/alerts", {"kind": "value", "time_window": "1h",
                                                      "operator": "greater than", "threshold": "lots"}, token)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "threshold must be a number" in html and 'value="lots"' in html
    r = htmx_post(signed_in, f"/stats/{sid}/alerts", {"kind": "data", "time_window": "1h",
                                                      "webhook_url": "ftp://x"}, token)
    assert r.status_code == 400 and "webhook URL" in r.get_data(as_text=True)
    assert count_rows(db, "alerts") == 0


def test_the_alerts_page_lists_state_last_value_delivery_errors_and_history(signed_in, db, account, config):
    import dataclasses

    from app.interactors.notify import deliver_due

    sid = post(db, account, "jobs failed", NOW - 30, count=9)
    alert(db, account, sid, kind="value", time_window="5m", operator="greater than", threshold="1",
          email="off", webhook_url="http://127.0.0.1:9/unreachable")
    check_due(db, NOW)
    deliver_due(db, dataclasses.replace(config, webhook_allow_private=True), NOW, "w1")
    html = signed_in.get("/alerts").get_data(as_text=True)
    assert "jobs failed" in html and "triggered" in html and "sum over the last 5 minutes is greater than 1" in html
    assert "webhook retrying after 1 attempt" in html
    # A generic error: nothing that tells what answered (or did not) on which port.
    problem = html.split("webhook retrying after 1 attempt")[1][:400]
    assert "could not deliver: connection failed" in problem
    assert not any(raw in html for raw in ("refused", "Errno", "ConnectionError", "HTTPConnectionPool", "port=9"))
    data = signed_in.get("/alerts", headers={"Accept": "application/json"}).get_json()
    assert data["alerts"][0]["problem"]["last_error"] == "could not deliver: connection failed"
    # A raw error kept by an older version is shown generic too.
    db.run(lambda tx: tx.execute("UPDATE notifications SET last_error = ?",
                                 ("ConnectionError: HTTPConnectionPool(host='10.0.0.7', port=6379): refused",)))
    html = signed_in.get("/alerts").get_data(as_text=True)
    assert "could not deliver: connection failed" in html and "6379" not in html and "10.0.0.7" not in html
    assert "jobs failed" in html.split("History")[1]


def test_deleting_an_alert_answers_the_panel_or_the_overview(signed_in, db, account):
    sid = post(db, account, "orders", NOW - 30, count=3)
    a = alert(db, account, sid, kind="data", time_window="1h")
    b = alert(db, account, sid, kind="data", time_window="1d")
    token = csrf_token(signed_in, "/alerts")
    r = htmx_post(signed_in, f"/alerts/{a['id']}/delete", {"panel": "1"}, token)
    assert r.status_code == 200 and 'id="alerts-panel"' in r.get_data(as_text=True)
    r = htmx_post(signed_in, f"/alerts/{b['id']}/delete", {}, token)
    assert r.status_code == 200 and 'id="alerts-page"' in r.get_data(as_text=True)
    assert count_rows(db, "alerts") == 0
    assert htmx_post(signed_in, f"/alerts/{b['id']}/delete", {}, token).status_code == 404


def test_the_ui_refuses_other_accounts_stats_and_alerts(signed_in, db, account, other_account):
    sid = post(db, other_account, "theirs", NOW - 30, count=3)
    theirs = alert(db, other_account, sid, kind="data", time_window="1h")
    token = csrf_token(signed_in, "/alerts")
    assert signed_in.get(f"/stats/{sid}/alerts").status_code == 404
    assert htmx_post(signed_in, f"/stats/{sid}/alerts", {"kind": "data", "time_window": "1h"}, token).status_code == 404
    assert htmx_post(signed_in, f"/alerts/{theirs['id']}/delete", {}, token).status_code == 404
    assert "theirs" not in signed_in.get("/alerts").get_data(as_text=True)
    assert count_rows(db, "alerts") == 1


def test_anonymous_users_log_in_first_and_posts_need_a_csrf_token(web, signed_in, db, account):
    sid = post(db, account, "orders", NOW - 30, count=3)
    signed_in.post("/logout", data={"csrf_token": csrf_token(signed_in, "/alerts")})
    for path in ("/alerts", f"/stats/{sid}/alerts"):
        r = web.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    from tests.web_helpers import login

    login(web, account.email, "password-ann")
    r = web.post(f"/stats/{sid}/alerts", data={"kind": "data", "time_window": "1h"})
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    assert count_rows(db, "alerts") == 0


def test_the_stat_page_loads_its_alerts_panel_and_marks_when_alerts_fired(signed_in, db, account):
    """The graph carries a mark at each alert state change; the page pulls in the alerts panel."""
    from app.interactors import alerts as al
    from app.interactors.ingest import EzItem, record_ez
    from tests.helpers import stat_row

    record_ez(db, account.ezkey, [EzItem(stat="marked", count=900, t=NOW - 120)], NOW, bulk=True)
    sid = stat_row(db, account.id, "marked")["id"]
    al.create_alert(db, account.id, sid, {"kind": "value", "time_window": "1h", "operator": "greater than",
                                          "threshold": "500"}, NOW - 3600)
    al.check_due(db, NOW - 60)
    html = signed_in.get(f"/stats/{sid}?tf=1d").get_data(as_text=True)
    assert f'hx-get="/stats/{sid}/alerts" hx-trigger="load"' in html
    assert 'class="eyrie-mark eyrie-mark-triggered"' in html
    body = signed_in.get(f"/stats/{sid}?tf=1d", headers={"Accept": "application/json"}).get_json()
    assert [m["kind"] for m in body["marks"]] == ["triggered"]
    # labelled: which alert, what value (the graph's mark has it as its <title> and in the hover data)
    label = body["marks"][0]["label"]
    assert label.startswith("Triggered: sum over the last") and "greater than 500" in label
    assert label.endswith("(was 900)")
    assert f"<title>{label}</title>" in html


# -- webhooks cannot reach the inside (issue 8) ------------------------------------------------------------

INSIDE = ["http://127.0.0.1:9/x", "http://127.1/x", "http://2130706433/x", "http://0x7f.0.0.1/x", "http://localhost:8000/",
          "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://[::ffff:10.0.0.1]/x", "http://10.1.2.3/x",
          "http://172.16.0.1/x", "http://192.168.1.1/x", "http://169.254.169.254/latest/meta-data/",
          "http://[fe80::1]/x", "http://0.0.0.0:5000/x", "http://[::]/x", "http://224.0.0.1/x", "http://[ff02::1]/x",
          "http://240.0.0.1/x", "http://255.255.255.255/x", "http://100.64.0.1/x", "http://[fc00::1]/x",
          "https://[fd00::1]:8443/x", "http://198.18.0.1/x", "http://[64:ff9b::7f00:1]/x", "http://[2002:7f00:1::]/x",
          "http://inside.corp.example/x", "http://split.example/x", "http://no-such-host.invalid/x"]


def test_webhooks_to_loopback_private_and_reserved_addresses_are_refused_when_saved(db, account, dns):
    dns.set("inside.corp.example", ["10.0.0.5"])
    dns.set("split.example", ["93.184.215.14", "127.0.0.1"])    # one inside address is enough to refuse
    sid = post(db, account, "orders", NOW - 30, count=3)
    for url in INSIDE:
        with pytest.raises(Invalid, match="must point at a public internet address"):
            create_alert(db, account.id, sid, {"kind": "data", "time_window": "1h", "webhook_url": url}, NOW)
    assert count_rows(db, "alerts") == 0
    for url in ("http://93.184.215.14/hook", "https://hooks.example.com/x", "http://[2606:4700::1111]:8080/x",
                "http://[::ffff:93.184.215.14]/x"):
        a = create_alert(db, account.id, sid, {"kind": "data", "time_window": "1h", "webhook_url": url}, NOW)
        assert a["webhook_url"] == url
    assert count_rows(db, "alerts") == 4


def test_allow_private_lets_an_operator_point_webhooks_at_the_own_network(db, account, dns):
    from app.config import Config

    assert Config.from_env(env={"EYRIE_WEBHOOK_ALLOW_PRIVATE": "1"}, database_url="sqlite://", secret_key="x",
                           var_dir=".").webhook_allow_private is True
    assert Config.from_env(env={}, database_url="sqlite://", secret_key="x", var_dir=".").webhook_allow_private is False
    dns.set("inside.corp.example", ["10.0.0.5"])
    sid = post(db, account, "orders", NOW - 30, count=3)
    for url in ("http://127.0.0.1:9/x", "http://inside.corp.example/x", "http://[::1]:8080/x"):
        a = create_alert(db, account.id, sid, {"kind": "data", "time_window": "1h", "webhook_url": url}, NOW,
                         allow_private=True)
        assert a["webhook_url"] == url


def test_the_form_and_the_api_refuse_an_inside_webhook_with_a_plain_message(signed_in, db, account, config, clock):
    import dataclasses

    from app.web import create_web_app

    sid = post(db, account, "orders", NOW - 30, count=3)
    token = csrf_token(signed_in, f"/stats/{sid}/alerts")
    r = htmx_post(signed_in, f"/stats/{sid}/alerts", {"kind": "data", "time_window": "1h",
                                                      "webhook_url": "http://169.254.169.254/latest/"}, token)
    assert r.status_code == 400 and "must point at a public internet address" in r.get_data(as_text=True)
    web = create_web_app(config, db, clock).test_client()
    r = web.post(f"/x/{account.access_token}/alerts", data={"stat_id": str(sid), "kind": "data", "time_window": "1h",
                                                            "webhook_url": "http://[::1]:6379/"})
    assert r.status_code == 400
    assert r.get_json()["msg"] == "the webhook URL must point at a public internet address"
    assert count_rows(db, "alerts") == 0
    # The operator's setting opens it up, through the same API.
    allowing = create_web_app(dataclasses.replace(config, webhook_allow_private=True), db, clock).test_client()
    r = allowing.post(f"/x/{account.access_token}/alerts", data={"stat_id": str(sid), "kind": "data",
                                                                 "time_window": "1h", "webhook_url": "http://[::1]:6379/"})
    assert r.status_code == 200 and count_rows(db, "alerts") == 1
