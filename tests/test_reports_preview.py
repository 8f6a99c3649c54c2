"""The reports page: "Send me one now", and when the next one goes out, in words."""

from __future__ import annotations

from app.humane_time import when
from app.interactors import reports as rp
from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.test_reports import local, outbox, schedules
from tests.web_helpers import csrf_token


def test_times_in_peoples_words():
    # NOW is Tuesday 2026-11-24 15:30 UTC.
    assert when(local("UTC", 2026, 11, 24, 18, 0), "UTC", NOW) == "today at 18:00"
    assert when(local("UTC", 2026, 11, 25, 8, 0), "UTC", NOW) == "tomorrow at 08:00"
    assert when(local("UTC", 2026, 11, 30, 8, 0), "UTC", NOW) == "Monday at 08:00"
    assert when(local("UTC", 2026, 12, 24, 8, 0), "UTC", NOW) == "Dec 24 at 08:00"
    assert when(local("UTC", 2027, 1, 4, 8, 0), "UTC", NOW) == "Jan 4, 2027 at 08:00"
    # In Auckland (UTC+13) it is already Wednesday 04:30: 08:00 there is "today".
    assert when(local("Pacific/Auckland", 2026, 11, 25, 8, 0), "Pacific/Auckland", NOW) == "today at 08:00"
    assert when(None, "UTC", NOW) == "" and when(NOW, "Not/AZone", NOW) == "today at 15:30"


def test_the_page_says_when_the_next_report_goes_out(signed_in, db, account):
    rp.save_settings(db, account.id, daily=True, weekly=True, hour=8, stat_ids=[], now=NOW)
    html = signed_in.get("/settings/reports").get_data(as_text=True)
    assert "next <strong>tomorrow at 08:00</strong>" in html       # Wednesday 08:00 UTC
    assert "next <strong>Monday at 08:00</strong>" in html


def test_send_me_one_now_mails_the_report_and_leaves_the_schedule(signed_in, db, config, account):
    record_ez(db, account.ezkey, [EzItem(stat="orders", count=5, t=NOW - 86400)], NOW, bulk=True)
    rp.save_settings(db, account.id, daily=True, weekly=False, hour=8, stat_ids=[], now=NOW)
    before = schedules(db)
    token = csrf_token(signed_in, "/settings/reports")
    r = signed_in.post("/settings/reports/send", data={"csrf_token": token, "period": "daily"},
                       headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert f"Sent a daily report on 1 stat to {account.email}." in r.get_data(as_text=True)
    [mail] = outbox(config)
    assert mail["To"] == account.email and mail["Subject"] == "[Eyrie] Daily report for Mon 23 Nov 2026"
    text = mail.get_body(("plain",)).get_content()
    assert "orders" in text and "http://localhost/reports/unsubscribe/" in text
    assert schedules(db) == before    # the schedule (its due time, last sent) is untouched
    # A weekly one, without JavaScript: the page comes back with the outcome.
    r = signed_in.post("/settings/reports/send", data={"csrf_token": token, "period": "weekly"})
    assert r.status_code == 200 and len(outbox(config)) == 2
    assert outbox(config)[1]["Subject"].startswith("[Eyrie] Weekly report, 16 Nov")


def test_send_now_refuses_bad_input_and_forged_posts(signed_in, db, config, account):
    token = csrf_token(signed_in, "/settings/reports")
    r = signed_in.post("/settings/reports/send", data={"csrf_token": token, "period": "daily"})
    assert r.status_code == 400 and "no stats to report on" in r.get_data(as_text=True)
    record_ez(db, account.ezkey, [EzItem(stat="orders", count=5, t=NOW)], NOW, bulk=True)
    r = signed_in.post("/settings/reports/send", data={"csrf_token": token, "period": "hourly"})
    assert r.status_code == 400
    assert signed_in.post("/settings/reports/send", data={"period": "daily"}).status_code == 400   # no CSRF
    assert outbox(config) == []


def test_send_now_with_the_mail_server_down_says_so_and_is_not_a_500(db, config, account):
    import socket
    from dataclasses import replace

    from app.web import create_web_app
    from tests.web_helpers import login

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nothing listens there: the connection is refused
    client = login(create_web_app(replace(config, smtp_url=f"smtp://127.0.0.1:{port}"), db).test_client(),
                   account.email, "password-ann")
    record_ez(db, account.ezkey, [EzItem(stat="orders", count=5, t=NOW - 86400)], NOW, bulk=True)
    token = csrf_token(client, "/settings/reports")
    r = client.post("/settings/reports/send", data={"csrf_token": token, "period": "daily"})
    assert r.status_code == 503
    assert "the mail server did not take the report" in r.get_data(as_text=True)
    assert outbox(config) == []
