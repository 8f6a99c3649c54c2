"""A real `python -m app listen` process fed by the `statsd` client from PyPI and by Graphite
plaintext over TCP and UDP; what landed is read back through the export API."""

from __future__ import annotations

import socket
import time

import pytest
import statsd as statsd_client

from app.interactors.listeners import metrics_token, rotate_metrics_token
from tests.conftest import Clock
from tests.helpers import stat_names, stat_row
from tests.support.listener import ListenerProcess


@pytest.fixture
def export(config, db):
    """An export API client whose clock is the wall clock: the listener stamps flushes with it."""
    from app.web import create_web_app

    clock = Clock(int(time.time()))
    client = create_web_app(config, db, clock).test_client()
    client.clock = clock
    return client


@pytest.fixture
def start_listener(db_url, tmp_path):
    started = []

    def start(*args):
        proc = ListenerProcess(db_url, tmp_path / "var", *args).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


def points(export, token, name, t="1h1m"):
    """{bucket time: (value, data points)} of the buckets that got data."""
    export.clock.now = int(time.time())
    stat = export.get(f"/x/{token}/stat", query_string={"name": name})
    assert stat.status_code == 200, (name, stat.get_json())
    data = export.get(f"/x/{token}/data/{stat.get_json()['id']}", query_string={"t": t}).get_json()
    return {p["time"]: p["value"] for p in data[0]["points"] if p.get("count", 1)}


def total(export, token, name):
    return sum(points(export, token, name).values())


def test_statsd_client_counters_gauges_timers_sets_land_in_the_account(db, account, export, start_listener):
    lis = start_listener("--statsd", "127.0.0.1:0", "--account", account.email, "--flush-interval", "60")
    client = statsd_client.StatsClient(*lis.statsd)
    for _ in range(5):
        client.incr("api.hits")
    client.incr("api.hits", 3)
    client.incr("sampled", 2, rate=0.5)  # the client sends it at random, as StatsD clients do
    client.gauge("queue.depth", 7)
    client.gauge("queue.depth", 3, delta=True)
    for ms in (10, 20, 30, 40):
        client.timing("db.query", ms)
    for user in ("ann", "bob", "ann"):
        client.set("users", user)
    summary = lis.stop()  # a long flush interval: only the SIGTERM flush writes

    assert summary["flushes"] == 1 and summary["malformed"] == 0
    token = account.access_token
    assert total(export, token, "api.hits") == 8
    assert stat_row(db, account.id, "api.hits")["kind"] == "counter"
    sampled = stat_row(db, account.id, "sampled")
    if sampled is not None:  # sent with probability 1/2; when sent, it counts 2 / 0.5
        assert total(export, token, "sampled") == 4
    assert list(points(export, token, "queue.depth").values()) == [10]
    assert stat_row(db, account.id, "queue.depth")["kind"] == "value"
    assert list(points(export, token, "db.query").values()) == [25]
    assert total(export, token, "db.query.count") == 4
    assert list(points(export, token, "db.query.upper_90").values()) == [40]
    assert list(points(export, token, "db.query.median").values()) == [25]
    assert list(points(export, token, "db.query.upper").values()) == [40]
    assert total(export, token, "users") == 2


def test_several_flushes_add_up_and_malformed_lines_are_counted(db, account, export, start_listener):
    lis = start_listener("--statsd", "127.0.0.1:0", "--account", account.email, "--flush-interval", "0.2")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.sendto(b"jobs:1|c\nnot a metric\njobs:2|c|@0.5\n\xff\xfe:1|zz", lis.statsd)
    deadline = time.monotonic() + 20
    while stat_row(db, account.id, "jobs") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    sock.sendto(b"jobs:10|c", lis.statsd)
    summary = lis.stop()
    assert summary["malformed"] == 2
    assert summary["flushes"] >= 2
    assert total(export, account.access_token, "jobs") == 15
    assert stat_names(db, account.id) == ["jobs"]


def test_graphite_plaintext_over_tcp_and_udp_same_port(db, account, export, start_listener):
    lis = start_listener("--graphite", "127.0.0.1:0", "--account", account.email, "--flush-interval", "60",
                         "--counter-pattern", "*.requests")
    now = int(time.time())
    minute = now - now % 60 - 120
    with socket.create_connection(lis.graphite) as tcp:
        tcp.sendall(f"servers.web1.cpu 40 {minute}\nservers.web1.cpu 60 {minute + 10}\n"
                    f"web.requests 5 {minute}\nweb.requests 7 {minute + 30}\n"
                    f"stats_counts.api.hits 3 {minute}\ngarbage\n".encode())
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.sendto(f"servers.web1.cpu 80 {minute + 60}\n".encode(), lis.graphite)
    time.sleep(0.2)  # let the listener accept the closed connection before SIGTERM
    summary = lis.stop()
    assert summary["graphite_lines"] == 6 and summary["malformed"] == 1
    token = account.access_token
    assert points(export, token, "servers.web1.cpu") == {minute: 50, minute + 60: 80}
    assert stat_row(db, account.id, "servers.web1.cpu")["kind"] == "value"
    assert points(export, token, "web.requests") == {minute: 12}
    assert stat_row(db, account.id, "web.requests")["kind"] == "counter"
    assert stat_row(db, account.id, "stats_counts.api.hits")["kind"] == "counter"


def test_shared_listener_routes_by_metrics_token(db, account, other_account, export, start_listener):
    ann, bob = metrics_token(db, account.id), metrics_token(db, other_account.id)
    assert ann != bob and metrics_token(db, account.id) == ann  # made once, then kept
    lis = start_listener("--statsd", "127.0.0.1:0", "--graphite", "127.0.0.1:0", "--flush-interval", "60")
    client = statsd_client.StatsClient(*lis.statsd)
    client.incr(f"{ann}.api.hits", 2)
    client.incr(f"{bob}.api.hits", 5)
    client.timing(f"{ann}.rt", 12)
    client.incr("nosuchtoken.api.hits")
    client.incr("notoken")
    now = int(time.time())
    with socket.create_connection(lis.graphite) as tcp:
        tcp.sendall(f"{bob}.disk.free 12 {now}\nwrong.disk.free 1 {now}\n".encode())
    time.sleep(0.5)
    summary = lis.stop()
    assert summary["unknown_token"] == 3
    assert total(export, account.access_token, "api.hits") == 2
    assert total(export, other_account.access_token, "api.hits") == 5
    assert list(points(export, other_account.access_token, "disk.free").values()) == [12]
    assert stat_names(db, account.id) == sorted(["api.hits", "rt", "rt.count", "rt.lower", "rt.median", "rt.upper",
                                                 "rt.upper_90", "rt.upper_99"])
    assert stat_names(db, other_account.id) == ["api.hits", "disk.free"]


def test_rotated_token_stops_the_old_one(db, account, export, start_listener):
    old = metrics_token(db, account.id)
    new = rotate_metrics_token(db, account.id)
    assert new != old and metrics_token(db, account.id) == new
    lis = start_listener("--statsd", "127.0.0.1:0", "--flush-interval", "60")
    client = statsd_client.StatsClient(*lis.statsd)
    client.incr(f"{old}.hits")
    client.incr(f"{new}.hits", 4)
    summary = lis.stop()
    assert summary["unknown_token"] == 1
    assert total(export, account.access_token, "hits") == 4


def test_ingest_rules_apply_to_listener_metrics(db, account, export, start_listener):
    lis = start_listener("--graphite", "127.0.0.1:0", "--account", account.email, "--flush-interval", "60")
    now = int(time.time())
    with socket.create_connection(lis.graphite) as tcp:
        tcp.sendall(f"ok.metric 1 {now}\nfuture.metric 1 {now + 10 * 366 * 86400}\n{'x' * 300} 1 {now}\n".encode())
    time.sleep(0.5)
    summary = lis.stop()
    assert summary["rejected"] == 2 and summary["stored"] == 1
    assert stat_names(db, account.id) == ["ok.metric"]


def test_unknown_account_is_a_clear_error(db_url, tmp_path):
    import subprocess
    import sys

    from tests.support.listener import ROOT

    lis = ListenerProcess(db_url, tmp_path, "--statsd", "127.0.0.1:0", "--account", "nobody@example.com")
    r = subprocess.run(lis.args, cwd=ROOT, env=lis.env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "no account" in r.stdout
    assert sys.executable


def test_serve_role_listen_reads_its_addresses_from_the_environment(db, db_url, account, export, tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys

    from tests.support.listener import ROOT

    env = {**os.environ, "EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(tmp_path), "EYRIE_STATSD": "127.0.0.1:0",
           "EYRIE_GRAPHITE": "127.0.0.1:0", "EYRIE_LISTEN_ACCOUNT": account.email, "EYRIE_FLUSH_INTERVAL": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--role", "listen"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = proc.stdout.readline()
        m = re.search(r"statsd 127\.0\.0\.1:(\d+), graphite 127\.0\.0\.1:(\d+)", ready)
        assert m, ready
        statsd_client.StatsClient("127.0.0.1", int(m.group(1))).incr("from.serve", 3)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "stopped" in out
    assert total(export, account.access_token, "from.serve") == 3


def test_hostile_input_is_counted_and_the_listener_keeps_working(db, account, export, start_listener):
    lis = start_listener("--statsd", "127.0.0.1:0", "--graphite", "127.0.0.1:0", "--account", account.email,
                         "--flush-interval", "60")
    now = int(time.time())
    with socket.create_connection(lis.graphite) as tcp:  # one line over 64 KiB: that connection is closed
        tcp.sendall(b"x" * 70_000 + b" 1 1\n")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.sendto(b"\x00\xff" * 1000, lis.statsd)
    udp.sendto(b"a" * 60_000 + b":1|c", lis.statsd)  # a 255+ character name: the ingest rules refuse it
    udp.sendto(b"\n\n\n", lis.statsd)
    with socket.create_connection(lis.graphite) as tcp:
        tcp.sendall(f"still.up 1 {now}\n".encode())
    client = statsd_client.StatsClient(*lis.statsd)
    client.incr("still.counting")
    time.sleep(0.3)
    summary = lis.stop()
    assert summary["malformed"] == 2 and summary["rejected"] == 1
    assert stat_names(db, account.id) == ["still.counting", "still.up"]


def test_the_stat_limit_applies_per_account_and_spares_the_others(db, db_url, account, other_account, export,
                                                                 tmp_path):
    from app.interactors.ingest import EzItem, record_ez

    record_ez(db, account.email, [EzItem("existing", count=1, t=int(time.time()))], int(time.time()))
    ann, bob = metrics_token(db, account.id), metrics_token(db, other_account.id)
    lis = ListenerProcess(db_url, tmp_path / "var", "--statsd", "127.0.0.1:0", "--flush-interval", "60")
    lis.env["EYRIE_MAX_STATS"] = "2"
    lis.start()
    try:
        client = statsd_client.StatsClient(*lis.statsd)
        for name in ("existing", "second", "third"):
            client.incr(f"{ann}.{name}")
        client.incr(f"{bob}.mine", 5)
        summary = lis.stop()
    finally:
        lis.kill()
    assert summary["rejected"] == 1 and summary["stored"] == 3
    assert len(stat_names(db, account.id)) == 2 and "existing" in stat_names(db, account.id)
    assert total(export, other_account.access_token, "mine") == 5
