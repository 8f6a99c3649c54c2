"""The Send data page's StatsD, Graphite and Grafana sections: the account's own prefix token in
every snippet, and the nc lines, sent as they are to a real listener, land in the account."""

from __future__ import annotations

import dataclasses
import html
import re
import shlex
import socket
import time

import pytest

from app.interactors.listeners import metrics_token
from tests.helpers import stat_names, stat_row
from tests.support.listener import ListenerProcess
from tests.web_helpers import login

BASE = "https://stats.example.org"


@pytest.fixture
def page(config, db, clock, account):
    from app.web import create_web_app

    client = create_web_app(dataclasses.replace(config, base_url=BASE), db, clock).test_client()
    login(client, account.email, "password-ann")
    r = client.get("/docs")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def snippet(page: str, sid: str) -> str:
    m = re.search(rf'<pre id="sn-{sid}"><code>(.*?)</code></pre>', page, re.S)
    assert m, sid
    return html.unescape(m.group(1))


def test_sections_carry_the_accounts_token(db, account, other_account, page):
    token = metrics_token(db, account.id)
    assert token != metrics_token(db, other_account.id)
    for sid in ("statsd-nc", "statsd-python", "graphite-nc", "graphite-telegraf", "graphite-collectd"):
        assert token in snippet(page, sid), sid
    assert f'prefix = "{token}"' in snippet(page, "graphite-telegraf")
    assert f'Prefix "{token}."' in snippet(page, "graphite-collectd")
    assert "stats.example.org 8125" in snippet(page, "statsd-nc")
    assert f"{BASE}/x/ACCESS_TOKEN/graphite" in page
    assert 'id="grafana"' in page and "Use Grafana" in page


def test_the_nc_lines_work_against_a_listener(db, db_url, account, page, tmp_path):
    lis = ListenerProcess(db_url, tmp_path / "var", "--statsd", "127.0.0.1:0", "--graphite", "127.0.0.1:0",
                          "--flush-interval", "60").start()
    try:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for line in snippet(page, "statsd-nc").splitlines():
            if line.startswith("echo "):
                udp.sendto(shlex.split(line)[1].encode(), lis.statsd)
        for line in snippet(page, "graphite-nc").splitlines():
            if line.startswith("echo "):
                payload = shlex.split(line.replace("$(date +%s)", str(int(time.time()))).split("|")[0])[1:]
                with socket.create_connection(lis.graphite) as tcp:
                    tcp.sendall((" ".join(payload) + "\n").encode())
        time.sleep(0.3)
        summary = lis.stop()
    finally:
        lis.kill()
    assert summary["malformed"] == 0 and summary["unknown_token"] == 0
    names = stat_names(db, account.id)
    assert {"api.requests", "api.latency", "api.latency.upper_90", "queue.depth", "users",
            "servers.web1.load"} <= set(names)
    hits = stat_row(db, account.id, "api.requests")
    total = db.read(lambda tx: tx.scalar("SELECT total FROM rollups WHERE stat_id = ? AND res = 60", (hits["id"],)))
    assert total == 11  # 1, plus 1 sampled at 1 in 10
