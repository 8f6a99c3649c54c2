"""Daily and weekly reports at a local hour (UTC-8 and UTC+13), unsubscribe links, report settings,
and StatHat's "a new stat was created" mail with its one-click delete link."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.interactors import reports as rp
from app.interactors.accounts import create_account, update_preferences
from app.interactors.ingest import EzItem, record_ez
from app.interactors.stats import create_stat
from app.mail import read_outbox
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.support.smtp import SmtpSink
from tests.web_helpers import csrf_token


def local(tz: str, *args) -> int:
    return int(datetime(*args, tzinfo=ZoneInfo(tz)).timestamp())


def outbox(config):
    return [m for _, m in sorted(read_outbox(config.var_dir), key=lambda x: x[0])]


def schedules(db):
    return db.read(lambda tx: tx.all("SELECT period, enabled, due_at, last_sent_at, last_error FROM report_schedules"
                                     " ORDER BY period"))


def test_next_due_is_the_chosen_local_hour_and_weekly_reports_go_out_on_mondays():
    la = "America/Los_Angeles"
    # NOW is Tuesday 2026-11-24 07:30 in Los Angeles (UTC-8).
    assert rp.next_due(NOW, "daily", 7, la) == local(la, 2026, 11, 25, 7)
    assert rp.next_due(NOW, "daily", 8, la) == local(la, 2026, 11, 24, 8)
    assert rp.next_due(NOW, "weekly", 7, la) == local(la, 2026, 11, 30, 7)
    assert rp.covered_period(local(la, 2026, 11, 24, 7), "daily", la) == (
        local(la, 2026, 11, 22), local(la, 2026, 11, 23), local(la, 2026, 11, 24))
    assert rp.covered_period(local(la, 2026, 11, 30, 7), "weekly", la) == (
        local(la, 2026, 11, 16), local(la, 2026, 11, 23), local(la, 2026, 11, 30))
    # Across a DST change the day is 25 hours long and still ends at local midnight.
    assert rp.covered_period(local(la, 2026, 11, 2, 7), "daily", la)[1:] == (local(la, 2026, 11, 1),
                                                                              local(la, 2026, 11, 2))


@pytest.mark.parametrize("tz, hour, day", [
    ("America/Los_Angeles", 7, (2026, 11, 23)),   # UTC-8: due 15:00 UTC on the 24th, about the 23rd (local)
    ("Pacific/Auckland", 4, (2026, 11, 24)),      # UTC+13 (NZDT): due 15:00 UTC on the 24th = 04:00 on the 25th
])
def test_a_daily_report_goes_out_at_the_local_hour_about_the_previous_local_day(db, config, tz, hour, day):
    acct = create_account(db, "tz@example.com", "password-tz", NOW - 7 * 86400, tz)
    y, m, d = day
    start = local(tz, y, m, d)
    end = local(tz, y, m, d + 1)
    items = [EzItem(stat="orders", count=7, t=start - 30),      # the day before: the previous figure
             EzItem(stat="orders", count=1, t=start + 30),      # first minute of the day
             EzItem(stat="orders", count=2, t=end - 30),        # last minute of the day
             EzItem(stat="orders", count=100, t=end + 30),      # the next day: not in this report
             EzItem(stat="load", value=2, t=start + 3600), EzItem(stat="load", value=4, t=start + 7200),
             EzItem(stat="load", value=5, t=start - 3600)]
    record_ez(db, acct.ezkey, items, NOW - 1000, bulk=True)
    rp.save_settings(db, acct.id, daily=True, weekly=False, hour=hour, stat_ids=[], now=NOW - 86400)
    due = local(tz, y, m, d + 1, hour)
    assert due == NOW - 1800   # 15:00 UTC on Tuesday in both zones
    assert rp.send_due_reports(db, config, due - 1, "w1")["sent"] == 0
    assert rp.send_due_reports(db, config, due, "w1") == {"sent": 1, "skipped": 0, "retry": 0, "failed": 0}
    assert rp.send_due_reports(db, config, due + 60, "w1")["sent"] == 0   # once a day

    [msg] = outbox(config)
    label = datetime(y, m, d).strftime("%a %-d %b %Y")
    assert msg["Subject"].strip() == f"[Eyrie] Daily report for {label}" and msg["To"] == acct.email
    text = msg.get_body(("plain",)).get_content()
    assert "load\n  mean: 3   previous: 5   change: -40%" in text
    assert "orders\n  total: 3   previous: 7   change: -57.1%" in text
    html = msg.get_body(("html",)).get_content()
    assert 'src="cid:graph-0"' in html and 'src="cid:graph-1"' in html
    pngs = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert sorted(p["Content-ID"] for p in pngs) == ["<graph-0>", "<graph-1>"]
    assert "/reports/unsubscribe/" in text and msg["List-Unsubscribe"].startswith("<http")
    [daily] = [s for s in schedules(db) if s["period"] == "daily"]
    assert daily["due_at"] == local(tz, y, m, d + 2, hour) and daily["last_sent_at"] == due


def test_a_weekly_report_covers_monday_to_sunday(db, config):
    tz = "America/Los_Angeles"
    acct = create_account(db, "wk@example.com", "password-wk", NOW - 30 * 86400, tz)
    record_ez(db, acct.ezkey, [EzItem(stat="visits", count=10, t=local(tz, 2026, 11, 23, 0, 1)),
                               EzItem(stat="visits", count=5, t=local(tz, 2026, 11, 29, 23, 59)),
                               EzItem(stat="visits", count=30, t=local(tz, 2026, 11, 22, 23, 59))],
              local(tz, 2026, 11, 30, 0, 0), bulk=True)  # posted as the week ends (t may not be days ahead)
    rp.save_settings(db, acct.id, daily=False, weekly=True, hour=9, stat_ids=[], now=NOW)
    assert rp.send_due_reports(db, config, local(tz, 2026, 11, 30, 8, 59), "w1")["sent"] == 0
    assert rp.send_due_reports(db, config, local(tz, 2026, 11, 30, 9), "w1")["sent"] == 1
    [msg] = outbox(config)
    assert msg["Subject"].strip() == "[Eyrie] Weekly report, 23 Nov – 29 Nov 2026"
    assert "total: 15   previous: 30   change: -50%" in msg.get_body(("plain",)).get_content()


def test_reports_cover_only_the_chosen_stats_and_skip_when_there_is_nothing(db, config, account):
    record_ez(db, account.ezkey, [EzItem(stat="a", count=1, t=NOW - 86400), EzItem(stat="b", count=1, t=NOW - 86400)],
              NOW, bulk=True)
    b = stat_row(db, account.id, "b")["id"]
    rp.save_settings(db, account.id, daily=True, weekly=False, hour=0, stat_ids=[str(b)], now=NOW)
    rp.send_due_reports(db, config, NOW + 86400, "w1")
    text = outbox(config)[0].get_body(("plain",)).get_content()
    assert "\nb\n" in text and "\na\n" not in text
    lonely = create_account(db, "none@example.com", "password-none", NOW)
    rp.save_settings(db, lonely.id, daily=True, weekly=False, hour=0, stat_ids=[], now=NOW)
    assert rp.send_due_reports(db, config, NOW + 2 * 86400, "w1")["skipped"] == 1


def test_a_report_that_cannot_be_sent_is_retried_and_the_error_is_kept(db, config, account):
    record_ez(db, account.ezkey, [EzItem(stat="a", count=1, t=NOW)], NOW, bulk=True)
    rp.save_settings(db, account.id, daily=True, weekly=False, hour=16, stat_ids=[], now=NOW)
    broken = dataclasses.replace(config, smtp_url="smtp://127.0.0.1:9")
    due = NOW + 1800
    assert rp.send_due_reports(db, broken, due, "w1")["retry"] == 1
    assert schedules(db)[0]["last_error"]
    assert rp.send_due_reports(db, config, due + 60, "w1")["sent"] == 1
    assert schedules(db)[0]["last_error"] == "" and len(outbox(config)) == 1


def test_two_workers_send_a_due_report_once(db_url, db, config, account):
    import threading

    from app.storage.db import Database

    record_ez(db, account.ezkey, [EzItem(stat="a", count=1, t=NOW)], NOW, bulk=True)
    rp.save_settings(db, account.id, daily=True, weekly=True, hour=16, stat_ids=[], now=NOW)
    dbs = [Database(db_url), Database(db_url)]
    barrier = threading.Barrier(2)
    sent = [0, 0]

    def work(i):
        barrier.wait()
        sent[i] = rp.send_due_reports(dbs[i], config, NOW + 1800, f"w{i}")["sent"]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for d in dbs:
        d.close()
    assert sum(sent) == 1 and len(outbox(config)) == 1   # the daily one; the weekly is due on Monday


def test_the_unsubscribe_link_needs_no_login_and_turns_reports_off(web, db, config, account):
    record_ez(db, account.ezkey, [EzItem(stat="a", count=1, t=NOW)], NOW, bulk=True)
    rp.save_settings(db, account.id, daily=True, weekly=True, hour=16, stat_ids=[], now=NOW)
    rp.send_due_reports(db, config, NOW + 1800, "w1")
    text = outbox(config)[0].get_body(("plain",)).get_content()
    path = re.search(r"https?://[^/]+(/reports/unsubscribe/\S+)", text).group(1)
    r = web.get(path)
    assert r.status_code == 200 and "Unsubscribed" in r.get_data(as_text=True)
    assert [s["enabled"] for s in schedules(db)] == [0, 0]
    assert web.get("/reports/unsubscribe/forged-token").status_code == 404
    assert web.get(path[:-3] + "abc").status_code == 404


def test_report_settings_page_saves_the_schedule(signed_in, db, account):
    record_ez(db, account.ezkey, [EzItem(stat="sales", count=1, t=NOW)], NOW, bulk=True)
    sid = stat_row(db, account.id, "sales")["id"]
    html = signed_in.get("/settings/reports").get_data(as_text=True)
    assert "Daily report" in html and "sales" in html
    token = csrf_token(signed_in, "/settings/reports")
    r = signed_in.post("/settings/reports", data={"csrf_token": token, "daily": "on", "hour": "6", "stat": str(sid)},
                       headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Saved." in r.get_data(as_text=True)
    rows = db.read(lambda tx: tx.all("SELECT period, enabled, hour, stat_ids FROM report_schedules ORDER BY period"))
    assert rows == [{"period": "daily", "enabled": 1, "hour": 6, "stat_ids": str(sid)},
                    {"period": "weekly", "enabled": 0, "hour": 6, "stat_ids": str(sid)}]
    r = signed_in.post("/settings/reports", data={"csrf_token": token, "daily": "on", "hour": "24"},
                       headers={"HX-Request": "true"})
    assert r.status_code == 400 and "0 to 23" in r.get_data(as_text=True)
    assert signed_in.post("/settings/reports", data={"daily": "on", "hour": "5"}).status_code == 400   # no CSRF


def test_report_settings_refuse_another_accounts_stats(signed_in, db, other_account):
    record_ez(db, other_account.ezkey, [EzItem(stat="theirs", count=1, t=NOW)], NOW, bulk=True)
    sid = stat_row(db, other_account.id, "theirs")["id"]
    token = csrf_token(signed_in, "/settings/reports")
    r = signed_in.post("/settings/reports", data={"csrf_token": token, "daily": "on", "hour": "6", "stat": str(sid)})
    assert r.status_code == 404
    assert db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM report_schedules")) == 0


# -- "a new stat was created" ------------------------------------------------------------------


def test_stats_made_by_the_ez_api_are_mailed_once_with_a_delete_link(web, db, config, account):
    smtp = SmtpSink().start()
    try:
        config = dataclasses.replace(config, smtp_url=smtp.url)
        record_ez(db, account.ezkey, [EzItem(stat="page viwes", count=1, t=NOW)], NOW, bulk=True)
        create_stat(db, account.email, "made by hand", "counter", NOW)   # not by the EZ API: no mail
        assert rp.send_new_stat_mails(db, config, NOW) == {"mails": 1, "stats": 1}
        assert rp.send_new_stat_mails(db, config, NOW + 60) == {"mails": 0, "stats": 0}
        [msg] = smtp.messages
    finally:
        smtp.stop()
    assert msg["Subject"] == "[Eyrie] New stat: page viwes"
    text = msg.get_body(("plain",)).get_content()
    assert "page viwes" in text and "made by hand" not in text
    path = re.search(r"https?://[^/]+(/new-stat/\S+)", text).group(1)
    assert path in msg.get_body(("html",)).get_content()

    # No login: GET asks, POST (with the page's CSRF token) moves the stat to the trash.
    page = web.get(path)
    assert page.status_code == 200 and "Delete this stat?" in page.get_data(as_text=True)
    assert stat_row(db, account.id, "page viwes")["deleted_at"] is None
    assert web.post(path).status_code == 400   # no CSRF token
    r = web.post(path, data={"csrf_token": csrf_token(web, path)})
    assert r.status_code == 200 and "in the trash" in r.get_data(as_text=True)
    assert stat_row(db, account.id, "page viwes")["deleted_at"] == NOW
    assert web.get(path[:-4] + "xxxx").status_code == 404


def test_bulk_created_stats_share_one_mail_and_opting_out_stops_it(db, config, account, other_account):
    record_ez(db, account.ezkey, [EzItem(stat="a~x,y,z", count=1, t=NOW)], NOW, bulk=True)
    update_preferences(db, other_account.id, new_stat_email=False)
    record_ez(db, other_account.ezkey, [EzItem(stat="quiet", count=1, t=NOW)], NOW, bulk=True)
    assert rp.send_new_stat_mails(db, config, NOW) == {"mails": 1, "stats": 3}
    [msg] = outbox(config)
    assert msg["Subject"] == "[Eyrie] 3 new stats" and msg["To"] == account.email
    assert rp.send_new_stat_mails(db, config, NOW + 60) == {"mails": 0, "stats": 0}
