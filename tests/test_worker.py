"""The worker: notifications over real SMTP and real HTTP, retries, two workers at once, retention,
and `python -m app worker` as a process (--once --json, and SIGTERM)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from app.config import ROOT, Retention
from app.interactors.alerts import check_due, create_alert
from app.interactors.ingest import EzItem, record_ez
from app.interactors.notify import MAX_ATTEMPTS, deliver_due
from app.rollups import bucket_start
from app.storage.db import Database
from app.webhooks import SIGNATURE_HEADER, verify
from app.worker import run_once
from tests.conftest import NOW
from tests.helpers import count_rows, rollup, stat_row
from tests.support.smtp import SmtpSink, WebhookSink


@pytest.fixture
def config(config):
    """Webhooks here go to a sink on 127.0.0.1, as EYRIE_WEBHOOK_ALLOW_PRIVATE=1 allows (refusals: below)."""
    return dataclasses.replace(config, webhook_allow_private=True)


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def hooks():
    sink = WebhookSink().start()
    yield sink
    sink.stop()


def triggered_alert(db, account, name="errors", allow_private=True, **params):
    record_ez(db, account.ezkey, [EzItem(stat=name, count=50, t=NOW - 30)], NOW, bulk=True)
    sid = stat_row(db, account.id, name)["id"]
    params = {"kind": "value", "time_window": "5m", "operator": "greater than", "threshold": "10", **params}
    return create_alert(db, account.id, sid, params, NOW, allow_private=allow_private)


def notification_rows(db):
    return db.read(lambda tx: tx.all("SELECT id, channel, status, attempts, last_error, next_attempt_at, sent_at"
                                     " FROM notifications ORDER BY id"))


def test_an_alert_mail_reaches_a_real_smtp_server_with_text_html_and_the_graph_inline(db, account, config, smtp):
    config = dataclasses.replace(config, smtp_url=smtp.url, base_url="https://eyrie.example.com")
    a = triggered_alert(db, account, name="checkout errors")
    check_due(db, NOW)
    assert deliver_due(db, config, NOW, "w1") == {"sent": 1, "retry": 0, "failed": 0}
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == account.email
    assert msg["Subject"] == "[Eyrie] ALERT: checkout errors: sum over the last 5 minutes is greater than 10"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    link = f"https://eyrie.example.com/stats/{a['stat_id']}"
    assert "now 50" in text and link in text
    assert link in html and 'src="cid:graph"' in html
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<graph>"
    assert images[0].get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert notification_rows(db)[0]["status"] == "sent"
    assert deliver_due(db, config, NOW + 60, "w1")["sent"] == 0   # sent once only

    # Back to normal: a second mail with its own subject.
    check_due(db, NOW + 600)
    deliver_due(db, config, NOW + 600, "w1")
    # (strip: Python's email package folds a 70-77 character subject onto a continuation line.)
    assert smtp.messages[1]["Subject"].strip().startswith("[Eyrie] OK: checkout errors")


def test_a_webhook_is_signed_and_retried_with_backoff_after_a_500(db, account, config, hooks):
    hooks.statuses = [500]
    a = triggered_alert(db, account, email="off", webhook_url=hooks.url)
    check_due(db, NOW)
    assert deliver_due(db, config, NOW, "w1") == {"sent": 0, "retry": 1, "failed": 0}
    row = notification_rows(db)[0]
    assert (row["status"], row["attempts"], row["last_error"], row["next_attempt_at"]) == (
        "pending", 1, "could not deliver: HTTP 500", NOW + 60)
    assert deliver_due(db, config, NOW + 59, "w1")["retry"] == 0   # not yet: backing off
    assert deliver_due(db, config, NOW + 60, "w1") == {"sent": 1, "retry": 0, "failed": 0}
    row = notification_rows(db)[0]
    assert (row["status"], row["attempts"], row["last_error"], row["sent_at"]) == ("sent", 2, "", NOW + 60)

    assert [r["status"] for r in hooks.requests] == [500, 200]
    first, second = hooks.requests
    assert first["body"] == second["body"]
    body = second["json"]
    assert body["state"] == "triggered" and body["event"] == "triggered" and body["value"] == 50
    assert body["time"] == NOW and body["stat"]["id"] == str(a["stat_id"]) and body["stat"]["name"] == "errors"
    assert body["alert"]["id"] == str(a["id"]) and body["alert"]["kind"] == "value"
    assert second["headers"]["Content-Type"] == "application/json"
    assert second["headers"][SIGNATURE_HEADER].startswith("sha256=")
    assert verify(a["webhook_secret"], second["body"], second["headers"][SIGNATURE_HEADER])
    assert not verify("another secret", second["body"], second["headers"][SIGNATURE_HEADER])


def test_delivery_gives_up_after_max_attempts_and_the_error_stays_visible(db, account, config):
    triggered_alert(db, account, email="off", webhook_url="http://127.0.0.1:9/nothing-listens")
    check_due(db, NOW)
    t = NOW
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        outcomes.append(deliver_due(db, config, t, "w1"))
        t = notification_rows(db)[0]["next_attempt_at"]
    assert [o["retry"] for o in outcomes[:-1]] == [1] * (MAX_ATTEMPTS - 1) and outcomes[-1]["failed"] == 1
    row = notification_rows(db)[0]
    assert row["status"] == "failed" and row["attempts"] == MAX_ATTEMPTS
    assert row["last_error"] == "could not deliver: connection failed"   # generic: not what answered where
    # Backoff doubles: 1, 2, 4 ... minutes.
    assert t - NOW == sum(60 * 2 ** k for k in range(MAX_ATTEMPTS))


def test_two_workers_at_once_deliver_every_notification_exactly_once(db_url, db, account, config):
    hooks = WebhookSink(delay=0.02).start()
    try:
        for i in range(12):
            triggered_alert(db, account, name=f"stat {i}", email="off", webhook_url=hooks.url)
        # Both workers check at the same moment: each alert's round is claimed by one of them.
        dbs = [Database(db_url), Database(db_url)]
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def work(i):
            barrier.wait()
            results[i] = (check_due(dbs[i], NOW), deliver_due(dbs[i], config, NOW, f"worker-{i}"))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for d in dbs:
            d.close()
        assert sum(r[0]["triggered"] for r in results) == 12
        assert sum(r[1]["sent"] for r in results) == 12
        assert count_rows(db, "alert_events") == 12
        alert_ids = sorted(r["json"]["alert"]["id"] for r in hooks.requests)
        assert len(alert_ids) == 12 and len(set(alert_ids)) == 12
        assert {r["status"] for r in notification_rows(db)} == {"sent"}
    finally:
        hooks.stop()


def test_two_workers_racing_on_the_same_pending_rows_send_each_once(db_url, db, account, config):
    hooks = WebhookSink(delay=0.01).start()
    try:
        for i in range(10):
            triggered_alert(db, account, name=f"s{i}", email="off", webhook_url=hooks.url)
        check_due(db, NOW)
        assert count_rows(db, "notifications") == 10
        dbs = [Database(db_url) for _ in range(3)]
        barrier = threading.Barrier(3)
        sent = [0, 0, 0]

        def work(i):
            barrier.wait()
            # Each worker tries every row itself (not only the ones its own query saw).
            for n in range(1, 11):
                from app.interactors.notify import deliver_one

                if deliver_one(dbs[i], config, n, f"w{i}", NOW) == "sent":
                    sent[i] += 1

        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for d in dbs:
            d.close()
        assert sum(sent) == 10 and len(hooks.requests) == 10
    finally:
        hooks.stop()


def test_a_webhook_to_an_inside_address_is_refused_at_send_time_too(db, account, config, hooks):
    """Saved while private addresses were allowed (or before the rule): the worker checks again and
    sends nothing to 127.0.0.1 once they are not."""
    triggered_alert(db, account, email="off", webhook_url=hooks.url)
    check_due(db, NOW)
    strict = dataclasses.replace(config, webhook_allow_private=False)
    assert deliver_due(db, strict, NOW, "w1") == {"sent": 0, "retry": 1, "failed": 0}
    assert hooks.requests == []
    row = notification_rows(db)[0]
    assert (row["status"], row["last_error"]) == ("pending", "could not deliver: the address is not a public one")
    # The same row goes out once the operator allows private receivers.
    assert deliver_due(db, config, NOW + 60, "w1")["sent"] == 1 and len(hooks.requests) == 1


def test_dns_rebinding_cannot_turn_a_checked_public_name_into_a_loopback_connection(db, account, config, hooks,
                                                                                   monkeypatch):
    """The name answers a public address to every check (when saved, and before the send) and
    127.0.0.1 to whatever looks it up next: the connection must go to a checked address or nowhere."""
    from tests.support.dns import FakeDns

    dns = FakeDns(monkeypatch)
    dns.set("rebind.example", ["93.184.215.14"], ["93.184.215.14"], ["127.0.0.1"])
    port = hooks.url.rsplit(":", 1)[1].split("/")[0]
    triggered_alert(db, account, email="off", webhook_url=f"http://rebind.example:{port}/hook", allow_private=False)
    check_due(db, NOW)
    strict = dataclasses.replace(config, webhook_allow_private=False)
    assert deliver_due(db, strict, NOW, "w1") == {"sent": 0, "retry": 1, "failed": 0}
    assert hooks.requests == []     # nothing reached the loopback sink
    assert dns.lookups == ["rebind.example"] * 3
    assert notification_rows(db)[0]["last_error"] == "could not deliver: the address is not a public one"


def test_retention_prunes_old_rollups_per_resolution(db, account, config):
    from app.interactors.retention import prune
    from app.rollups import DAY, HOUR, MINUTE

    old = NOW - 40 * DAY
    record_ez(db, account.ezkey, [EzItem(stat="old", count=1, t=old), EzItem(stat="old", count=1, t=NOW)],
              NOW, bulk=True)
    sid = stat_row(db, account.id, "old")["id"]

    def rows(res):
        return db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM rollups WHERE res = ?", (res,)))

    def seen(res, ts):
        return rollup(db, sid, res, bucket_start(ts, res))

    assert rows(MINUTE) == 2  # ingest writes minute rows; hours and days are folded from them
    assert seen(HOUR, old) == seen(DAY, old) == seen(HOUR, NOW) == seen(DAY, NOW) == (1.0, 1, 1.0, 1.0)
    assert prune(db, Retention(minute_days=31, hour_days=800, day_days=0), NOW) == {"rows": 1}
    # The old minute was folded into its hour and day before it went; the current hour is not folded.
    assert (rows(MINUTE), rows(HOUR), rows(DAY)) == (1, 1, 1)
    assert seen(HOUR, old) == seen(DAY, old) == seen(HOUR, NOW) == seen(DAY, NOW) == (1.0, 1, 1.0, 1.0)
    assert prune(db, Retention(minute_days=31, hour_days=30, day_days=30), NOW) == {"rows": 2}
    assert (rows(MINUTE), rows(HOUR), rows(DAY)) == (1, 0, 0)
    assert seen(HOUR, old) is None and seen(DAY, old) is None
    assert seen(HOUR, NOW) == seen(DAY, NOW) == (1.0, 1, 1.0, 1.0)


def test_run_once_runs_every_job_and_reports_what_it_did(db, account, config):
    from app.interactors.stats import trash_stat

    triggered_alert(db, account)
    record_ez(db, account.ezkey, [EzItem(stat="to purge", count=1, t=NOW)], NOW, bulk=True)
    trash_stat(db, account.id, stat_row(db, account.id, "to purge")["id"], NOW - 49 * 3600)
    summary = run_once(db, config, NOW, "w1")
    assert list(summary) == ["alerts", "notify", "reports", "new_stats", "retention", "trash"]
    assert summary["alerts"]["triggered"] == 1 and summary["notify"]["sent"] == 1
    assert summary["trash"] == {"purged": 1}
    assert summary["new_stats"] == {"mails": 1, "stats": 1}   # "errors" was made by the EZ API just now


def _env(db_url, tmp_path):
    return {**os.environ, "EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(tmp_path / "var"),
            "EYRIE_SECRET_KEY": "test-secret", "EYRIE_SMTP_URL": ""}


def test_the_worker_command_runs_once_and_prints_a_json_summary(db_url, db, account, tmp_path):
    from app.mail import read_outbox

    now = int(time.time())
    record_ez(db, account.ezkey, [EzItem(stat="cron ran", count=1, t=now - 3600)], now, bulk=True)
    sid = stat_row(db, account.id, "cron ran")["id"]
    create_alert(db, account.id, sid, {"kind": "data", "time_window": "5m"}, now - 5)
    p = subprocess.run([sys.executable, "-m", "app", "worker", "--once", "--json"], cwd=ROOT,
                       env=_env(db_url, tmp_path), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    assert summary["alerts"] == {"checked": 1, "triggered": 1, "ok": 0, "reminder": 0}
    assert summary["notify"] == {"sent": 1, "retry": 0, "failed": 0}
    assert summary["new_stats"] == {"mails": 1, "stats": 1}
    assert summary["trash"] == {"purged": 0} and "rows" in summary["retention"]
    subjects = sorted(m["Subject"] for _, m in read_outbox(tmp_path / "var"))
    assert subjects == ["[Eyrie] ALERT: cron ran: no data in the last 5 minutes", "[Eyrie] New stat: cron ran"]


def test_the_worker_loop_stops_cleanly_on_sigterm(db_url, db, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "app", "worker", "--json"], cwd=ROOT, env=_env(db_url, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "eyrie worker running"
        time.sleep(0.5)   # let it get into its loop
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert json.loads(out.strip().splitlines()[-1])["stopped"] is True
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
