"""The production shape under faults, on loopback: deploy/local-cluster starts nginx, 2 ingest, 2 web
and 2 worker processes and a MariaDB primary + GTID replica under one supervisord; the tests kill
and stop parts of it while clients post and read through nginx.

Runs in the MariaDB pass of `make test` (EYRIE_TEST_DB=mariadb) only: it is MariaDB-only by nature
and starts its own servers. Skips only when nginx/supervisor/MariaDB cannot be installed.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from app.config import ROOT
from app.interactors.accounts import create_account
from app.storage.db import Database
from tests.conftest import BACKEND

sys.path.insert(0, str(ROOT / "deploy"))
from eyrie_ops import cluster as local_cluster  # noqa: E402

pytestmark = pytest.mark.skipif(BACKEND != "mariadb", reason="the cluster tests run in the MariaDB pass")
MINUTE = 60
MONITOR = "monitor@cluster.test"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        local_cluster.ensure_packages()
    except local_cluster.ClusterError as exc:
        pytest.skip(f"cannot install the cluster's packages: {exc}")
    c = local_cluster.Cluster(tmp_path_factory.mktemp("cluster"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EYRIE_")}
    env["EYRIE_MAIL_FROM"] = "cluster@eyrie.test"   # any EYRIE_* setting reaches every process
    env["EYRIE_SELF_MONITOR"] = MONITOR             # made below, once the cluster is up
    env["EYRIE_SELF_MONITOR_EVERY"] = "10"
    try:
        info = c.up(env=env, threads=6)
    except BaseException:
        c.down()
        raise
    c.info = info
    c.db = Database(info["database_url"])
    create_account(c.db, MONITOR, "correct horse battery", int(time.time()))
    yield c
    c.db.close()
    c.down()


@pytest.fixture(scope="module")
def acct(cluster):
    return create_account(cluster.db, "ops@cluster.test", "correct horse battery", int(time.time()))


def ctl(cluster, *args) -> str:
    return cluster.ctl(*args, check=False).stdout.strip()


def pid(cluster, name: str) -> int:
    return int(ctl(cluster, "pid", name))


def wait_until(what, ready, timeout=30.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout} s")


def running(cluster, name: str) -> bool:
    return "RUNNING" in ctl(cluster, "status", name)


def minute_counts(db, account_id: int, prefix: str) -> dict[str, dict[int, tuple[float, int]]]:
    rows = db.read(lambda tx: tx.all(
        "SELECT s.name, r.ts, r.total, r.n FROM rollups r JOIN stats s ON s.id = r.stat_id"
        " WHERE s.account_id = ? AND s.name LIKE ? AND r.res = ?", (account_id, prefix + "%", MINUTE)))
    out: dict = collections.defaultdict(dict)
    for r in rows:
        out[r["name"]][int(r["ts"])] = (float(r["total"]), int(r["n"]))
    return out


def test_cluster_json_names_every_program_and_supervisorctl_drives_each(cluster):
    info = json.loads(Path(cluster.info_path).read_text())
    assert set(info) >= {"url", "supervisord_conf", "programs", "database_url", "replica_url"}
    progs = info["programs"]
    assert len(progs["ingest"]) == 2 and len(progs["web"]) == 2 and len(progs["worker"]) == 2
    names = progs["ingest"] + progs["web"] + progs["worker"] + [progs["primary"], progs["replica"], progs["nginx"]]
    pids = set()
    for name in names:
        out = subprocess.run(["supervisorctl", "-c", info["supervisord_conf"], "status", name],
                             capture_output=True, text=True).stdout
        assert "RUNNING" in out, out
        pids.add(pid(cluster, name))
    assert len(pids) == len(names)       # each a process of its own
    # Every Eyrie process got the caller's EYRIE_* settings.
    env = Path(f"/proc/{pid(cluster, progs['worker'][0])}/environ").read_bytes().split(b"\0")
    assert b"EYRIE_MAIL_FROM=cluster@eyrie.test" in env
    assert f"EYRIE_DATABASE_READ_URL={info['replica_url']}".encode() in env
    # The replica replicates, by GTID.
    status = local_cluster.sql(info["sockets"]["replica"], "SHOW SLAVE STATUS\\G", names=True).stdout
    assert "Slave_IO_Running: Yes" in status and "Slave_SQL_Running: Yes" in status
    assert "Using_Gtid: Slave_Pos" in status


def test_nginx_serves_static_files_and_caches_embeds(cluster, acct):
    url = cluster.info["url"]
    css = requests.get(f"{url}/static/app.css", timeout=5)
    assert css.status_code == 200 and css.headers["Cache-Control"] == "public, max-age=300"
    assert css.content == (ROOT / "static" / "app.css").read_bytes()
    assert requests.get(f"{url}/login", timeout=5).status_code == 200
    # An embed: the second fetch is nginx's copy (Eyrie said public, max-age=60).
    r = requests.post(f"{url}/ez", data={"ezkey": acct.ezkey, "stat": "embedded", "count": "2"}, timeout=5)
    assert r.status_code in (200, 204)
    key = cluster.db.read(lambda tx: tx.scalar("SELECT embed_key FROM stats WHERE account_id = ? AND name = ?",
                                               (acct.id, "embedded")))
    first = requests.get(f"{url}/embed/graph/{key}.svg", timeout=10)
    second = requests.get(f"{url}/embed/graph/{key}.svg", timeout=10)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("image/svg+xml")
    assert first.headers["X-Cache-Status"] == "MISS" and second.headers["X-Cache-Status"] == "HIT"
    assert second.content == first.content and second.headers["ETag"] == first.headers["ETag"]


class Load:
    """Clients posting through nginx: JSON bulk, single POSTs and GETs, one counter of 1 per distinct
    minute, so a point stored twice shows as n=2 and a lost acknowledged one as a missing row."""

    def __init__(self, url: str, ezkey: str, base: int, threads: int = 6, bulk: int = 20):
        self.url, self.ezkey, self.base, self.bulk = url, ezkey, base, bulk
        self.acked: dict[str, list[int]] = collections.defaultdict(list)
        self.failed = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, i: int) -> None:
        session = requests.Session()
        # Thread kinds: JSON bulk POSTs, single form POSTs, and single GETs (StatHat clients count
        # with GET too, which nginx must not re-send either).
        name, n, kind = f"load.{i}", 0, ("bulk", "post", "get")[i % 3]
        while not self.stop.is_set():
            if kind == "get":
                ts = [self.base + n * MINUTE]
                n += 1
                try:
                    r = session.get(f"{self.url}/ez", params={"ezkey": self.ezkey, "stat": name, "count": "1",
                                                              "t": str(ts[0])}, timeout=30)
                    ok = r.status_code == 204
                except requests.RequestException:
                    ok = False
            elif kind == "bulk":
                ts = [self.base + (n + k) * MINUTE for k in range(self.bulk)]
                body = {"ezkey": self.ezkey, "data": [{"stat": name, "count": 1, "t": t} for t in ts]}
                n += self.bulk
                try:
                    r = session.post(f"{self.url}/ez", json=body, timeout=30)
                    ok = r.status_code == 200 and r.json().get("multiple") == self.bulk
                except requests.RequestException:
                    ok = False
            else:
                ts = [self.base + n * MINUTE]
                n += 1
                try:
                    r = session.post(f"{self.url}/ez", data={"ezkey": self.ezkey, "stat": name, "count": "1",
                                                             "t": str(ts[0])}, timeout=30)
                    ok = r.status_code == 204
                except requests.RequestException:
                    ok = False
            with self.lock:
                if ok:
                    self.acked[name].extend(ts)
                else:
                    self.failed += 1

    def total(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.acked.values())

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)


def test_kill_9_of_an_ingest_process_loses_no_acknowledged_point_and_doubles_none(cluster, acct):
    victim = cluster.info["programs"]["ingest"][0]
    old = pid(cluster, victim)
    base = int(time.time()) // MINUTE * MINUTE - 7 * 86400
    with Load(cluster.info["url"], acct.ezkey, base) as load:
        wait_until("load running", lambda: load.total() > 200)
        os.kill(old, 9)
        at_kill = load.total()
        wait_until("supervisord restarted it", lambda: running(cluster, victim) and pid(cluster, victim) != old)
        # The other process kept answering, and the restarted one takes posts again.
        wait_until("posts after the kill", lambda: load.total() > at_kill + 300)
    port = cluster.info["ports"]["ingest"][0]
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    stored = minute_counts(cluster.db, acct.id, "load.")
    for name, ts in load.acked.items():
        assert len(ts) == len(set(ts))
        rows = stored[name]
        missing = [t for t in ts if t not in rows]
        assert not missing, f"{name}: {len(missing)} acknowledged points not stored"
    doubled = [(name, t, v) for name, rows in stored.items() for t, v in rows.items() if v != (1.0, 1)]
    assert not doubled, f"stored more than once: {doubled[:5]}"
    assert load.total() > 500


def test_kill_9_of_a_web_process_keeps_pages_answering(cluster):
    victim = cluster.info["programs"]["web"][0]
    old = pid(cluster, victim)
    url = cluster.info["url"]
    statuses = collections.Counter()
    session = requests.Session()
    for i in range(200):
        if i == 20:
            os.kill(old, 9)
        statuses[session.get(f"{url}/login", timeout=10).status_code] += 1
    assert statuses == {200: 200}
    wait_until("supervisord restarted it", lambda: running(cluster, victim) and pid(cluster, victim) != old)
    port = cluster.info["ports"]["web"][0]
    wait_until("it answers again", lambda: local_cluster.http_ok(f"http://127.0.0.1:{port}/healthz"))


def _export_total(session, url: str, token: str, stat_id: str) -> float:
    r = session.get(f"{url}/x/{token}/data/{stat_id}", params={"t": "1h1m"}, timeout=10)
    assert r.status_code == 200, r.text
    return sum(p["count"] for p in r.json()[0]["points"])


def _stat_id(cluster, acct, name: str) -> str:
    return str(cluster.db.read(lambda tx: tx.scalar("SELECT id FROM stats WHERE account_id = ? AND name = ?",
                                                    (acct.id, name))))


def test_an_acknowledged_point_is_in_the_very_next_export_read_through_nginx(cluster, acct):
    url, session = cluster.info["url"], requests.Session()
    assert session.post(f"{url}/ez", data={"ezkey": acct.ezkey, "stat": "fresh", "count": "1"}).status_code == 204
    sid = _stat_id(cluster, acct, "fresh")
    for i in range(2, 42):
        assert session.post(f"{url}/ez", data={"ezkey": acct.ezkey, "stat": "fresh", "count": "1"}).status_code == 204
        assert _export_total(session, url, acct.access_token, sid) == i


def _web_logs(cluster) -> str:
    return "".join(p.read_text(errors="replace") for p in Path(cluster.info["logs"]).glob("web-*.log"))


def test_a_stopped_replica_is_skipped_then_used_again_once_it_caught_up(cluster, acct):
    url, session = cluster.info["url"], requests.Session()
    replica_sock = cluster.info["sockets"]["replica"]
    post = {"ezkey": acct.ezkey, "stat": "during outage", "count": "1"}
    assert session.post(f"{url}/ez", data=post).status_code == 204
    sid = _stat_id(cluster, acct, "during outage")
    before = _web_logs(cluster).count("skipped for")
    assert "stopped" in ctl(cluster, "stop", cluster.info["programs"]["replica"])
    try:
        for i in range(2, 12):
            assert session.get(f"{url}/login", timeout=10).status_code == 200
            assert session.post(f"{url}/ez", data=post).status_code == 204
            t0 = time.monotonic()
            assert _export_total(session, url, acct.access_token, sid) == i   # from the primary
            assert time.monotonic() - t0 < 2.5
        assert _web_logs(cluster).count("skipped for") > before   # the warning is logged
    finally:
        assert "started" in ctl(cluster, "start", cluster.info["programs"]["replica"])
    # It catches up by itself (replication resumes from its saved GTID position) ...
    wait_until("replica caught up", lambda: local_cluster.sql(
        replica_sock, f"SELECT SUM(n) FROM eyrie.rollups WHERE stat_id = {int(sid)} AND res = 60",
        check=False).stdout.strip() == "11")
    # ... and the web processes read there again.
    wait_until("reads back on the replica", lambda: "back in time" in _web_logs(cluster))
    assert _export_total(session, url, acct.access_token, sid) == 11


def test_two_worker_processes_over_ten_minutes_of_fake_time_send_each_alert_and_report_once(cluster, tmp_path):
    from app.interactors import reports as rp
    from app.interactors.alerts import create_alert
    from app.interactors.ingest import EzItem, record_ez
    from tests.conftest import NOW
    from tests.support.smtp import SmtpSink, WebhookSink

    db = cluster.db
    acct = create_account(db, "alerts@cluster.test", "correct horse battery", NOW)
    start = NOW + 1500   # 15:55 UTC: the daily report (hour 16) falls due 5 minutes in
    for i in range(8):
        record_ez(db, acct.ezkey, [EzItem(stat=f"errors {i}", count=50, t=start - 30)], start, bulk=True)
    hooks, smtp = WebhookSink(delay=0.01).start(), SmtpSink().start()
    workers = cluster.info["programs"]["worker"]
    ctl(cluster, "stop", *workers)   # the cluster's own workers run on real time; these two on fake time
    try:
        for i in range(8):
            sid = int(_stat_id(cluster, acct, f"errors {i}"))
            create_alert(db, acct.id, sid, {"kind": "value", "time_window": "5m", "operator": "greater than",
                                            "threshold": "10", "email": "off", "webhook_url": hooks.url}, start)
        rp.save_settings(db, acct.id, daily=True, weekly=False, hour=16, stat_ids=[], now=start)
        env = {k: v for k, v in os.environ.items() if not k.startswith("EYRIE_")} | cluster.info["env"]
        env |= {"EYRIE_SMTP_URL": smtp.url, "EYRIE_SECRET_KEY": "fake-time"}
        script = ("import sys; from app.config import Config; from app.storage.db import Database;"
                  " from app.worker import run_once\n"
                  "c = Config.from_env().with_secret(); d = Database(c.database_url)\n"
                  "for t in range(int(sys.argv[1]), int(sys.argv[2]), 15): run_once(d, c, t)\n")
        procs = [subprocess.Popen([sys.executable, "-c", script, str(start), str(start + 600)], cwd=ROOT, env=env)
                 for _ in range(2)]
        for p in procs:
            assert p.wait(180) == 0
        events = db.read(lambda tx: tx.all("SELECT e.alert_id, e.kind, e.created_at AS at FROM alert_events e"
                                           " WHERE e.account_id = ?", (acct.id,)))
        sent = collections.Counter((r["json"]["alert"]["id"], r["json"]["event"], r["json"]["time"])
                                   for r in hooks.requests)
        assert len(events) >= 16          # each alert triggered, then went back to ok when the data left
        assert len(sent) == len(events) and set(sent.values()) == {1}
        assert {(str(e["alert_id"]), e["kind"], int(e["at"])) for e in events} == set(sent)
        subjects = [m["Subject"] for m in smtp.messages if m["To"] == "alerts@cluster.test"]
        assert len([x for x in subjects if x.startswith("[Eyrie] Daily report")]) == 1
        # New stats are claimed one by one: the two workers may split them, but each is mailed once.
        listed = [1 if x.startswith("[Eyrie] New stat:") else int(x.split()[1])
                  for x in subjects if "new stat" in x.lower()]
        assert sum(listed) == 8
    finally:
        hooks.stop()
        smtp.stop()
        ctl(cluster, "start", *workers)


def test_every_process_records_its_own_figures_in_the_monitoring_account(cluster):
    from app.interactors.self_monitor import DASHBOARD

    requests.get(f"{cluster.info['url']}/login", timeout=5)
    db = cluster.db

    def names():
        return {r["name"] for r in db.read(lambda tx: tx.all(
            "SELECT s.name FROM stats s JOIN accounts a ON a.id = s.account_id WHERE a.email = ?", (MONITOR,)))}

    wanted = {"eyrie ingest ez requests", "eyrie ingest rss mb", "eyrie web page requests", "eyrie web rss mb",
              "eyrie web replica lag ms", "eyrie worker alerts ms", "eyrie worker rss mb"}
    wait_until("figures from ingest, web and worker processes", lambda: wanted <= names(), timeout=60, every=1)
    boards = db.read(lambda tx: tx.all("SELECT d.name FROM dashboards d JOIN accounts a ON a.id = d.account_id"
                                       " WHERE a.email = ?", (MONITOR,)))
    assert [b["name"] for b in boards].count(DASHBOARD) == 1   # however many processes raced to make it
