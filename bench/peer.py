"""Eyrie's ingest beside Graphite's carbon, back to back on the same workload (issue 9).

    .venv/bin/python bench/peer.py [--backend sqlite|mariadb|both] [--sittings 2] [--scale]
                                   [--history 10000000] [--no-peer]
    make bench-peer

One sitting = graphite-bench's ingest part (carbon-cache + whisper, 1000x100 and 10x10000, cold and
warm, plus graphite-web's single-point latency_visible_ms) immediately followed by Eyrie on each
backend with the same workload:

- 1,000 stats x 100 points at one-minute spacing ending at the last complete minute, time-major
  (request k holds minute k for every stat), 1,000 points per JSON bulk request, 4 keep-alive
  client threads, the clock stopped at the last acknowledgement (a 200 from Eyrie means committed);
  every point is then checked in the database (SUM(n) of the minute rows grew by exactly the points).
- cold: a fresh account per round, so its stats are created by the first request (like carbon
  creating whisper files); warm: the stats of the first cold round exist and the same minutes are
  written again (like carbon overwriting its slots).
- single posts: `POST /ez` form posts (4 threads, then 8 as bench/ingest.py's (b) and (c) that
  printed issue 9's figures) against the same server's no-op `GET /` with as many threads, and
  p50/p99 of one post until its point is readable through the export API of a web-role server:
  awaited (the first read once the post's reply is in) and not awaiting the reply (reads sent at
  once, the way graphite-bench times carbon, which gives its sender no reply), rounds alternating.

It prints each ratio Eyrie/carbon for points/s and for server CPU per point, the ingest process's
peak RSS beside carbon-cache's, and the 1-minute load average with every figure (the machine is
shared: only ratios from one sitting mean anything).

--scale adds 10,000 stats x 10 points (compared with carbon's 1000x100: carbon has no such case)
and 10 stats x 10,000 points (carbon's 10x10000). --history N first fills the database with N rollup
rows of other stats and compares the cold/warm rate with the same server on an empty database.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import _conn, _start_mariadb, proc_cpu, run_rate  # noqa: E402

from app.interactors.accounts import create_account  # noqa: E402
from app.interactors.stats import ensure_stats  # noqa: E402
from app.rollups import MINUTE  # noqa: E402
from app.serving import SERVERS, THREADS  # noqa: E402
from app.storage import accounts as aq  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from tests.support.mariadb import free_port  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

ANCHOR = Path(os.environ.get("GRAPHITE_BENCH", ROOT.parent.parent / "shared" / "anchors" / "graphite-bench"))
if not ANCHOR.exists():
    ANCHOR = Path("/work/shared/anchors/graphite-bench")
CLIENTS = 4
# Single posts are also timed with 8 clients: bench/ingest.py's (b) and (c), which printed issue
# 9's 521 posts/s, ran 8 client threads.
SINGLE_CLIENTS = (CLIENTS, 8)
PER_REQUEST = 1000
HARD_LIMIT = 300.0


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_tree(pid: int) -> float:
    """CPU seconds of a process and its direct children (carbon's twistd runs as one process)."""
    total = proc_cpu(pid)
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += proc_cpu(int(child))
    except OSError:
        pass
    return total


# -- the peer -------------------------------------------------------------------------------------

def run_peer(args, sitting: int) -> dict:
    gb_dir = Path(args.graphite_dir).resolve()
    gb_dir.mkdir(parents=True, exist_ok=True)
    out = gb_dir / f"peer-{sitting}.json"
    ports = [free_port() for _ in range(4)]
    cmd = [str(ANCHOR), "--parts", "ingest,render", "--no-statsd", "--bulk-reps", "0",
           "--reps", str(args.peer_reps), "--render-n", "5", "--render-warmup", "1", "--json", str(out),
           "--line-port", str(ports[0]), "--pickle-port", str(ports[1]), "--cache-port", str(ports[2]),
           "--web-port", str(ports[3])]
    env = {**os.environ, "GRAPHITE_BENCH_DIR": str(gb_dir)}
    load0 = os.getloadavg()[0]
    print(f"[peer] graphite-bench ingest+latency ({load()})", flush=True)
    log = open(gb_dir / f"peer-{sitting}.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    # carbon-cache's peak RSS: watch its recorded PID while the bench runs.
    pidfile = gb_dir / "data" / "run" / "carbon-cache.bench-pid"
    peak = 0
    while proc.poll() is None:
        try:
            pid = int(pidfile.read_text().strip())
            peak = max(peak, vm_hwm_kb(pid))
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    log.close()
    if proc.returncode != 0 or not out.exists():
        print(f"[peer] graphite-bench failed (rc {proc.returncode}); see {gb_dir}/peer-{sitting}.log", flush=True)
        return {}
    res = json.loads(out.read_text())
    res["carbon_peak_rss_kb"] = peak
    res["load_start"] = load0
    for key in ("ingest_1000x100_cold", "ingest_1000x100_warm", "ingest_10x10000_cold", "ingest_10x10000_warm"):
        r = res.get(key)
        if r:
            print(f"[peer] {key}: {r['e2e_rate']['median']:,.0f} points/s, carbon CPU "
                  f"{r['carbon_cpu_us_per_point']['median']:.1f} us/point, verified {r['verified_all']}", flush=True)
    lat = res.get("latency_visible_ms") or {}
    print(f"[peer] latency_visible_ms median {lat.get('median', float('nan')):.1f} ms; carbon-cache peak RSS "
          f"{peak / 1024:.0f} MB (load at end {res['machine'].get('loadavg_end', [0])[0]:.2f})", flush=True)
    return res


# -- Eyrie ----------------------------------------------------------------------------------------

def bodies_for(ezkey: str, names: list[str], n_points: int, first_ts: int, base: int) -> list[bytes]:
    """Time-major: every minute, every stat, cut into PER_REQUEST-point JSON bulk requests."""
    items = []
    for j in range(n_points):
        t = first_ts + j * MINUTE
        items.extend({"stat": name, "count": base + j, "t": t} for name in names)
    return [json.dumps({"ezkey": ezkey, "data": items[i:i + PER_REQUEST]}, separators=(",", ":")).encode()
            for i in range(0, len(items), PER_REQUEST)]


def send_bulk(port: int, bodies: list[bytes]) -> dict:
    """Bodies in order from CLIENTS keep-alive threads; returns the time of the last acknowledgement."""
    lock = threading.Lock()
    state = {"next": 0, "errors": [], "last_ack": 0.0}
    gate = threading.Barrier(CLIENTS + 1)

    def worker():
        conn = _conn(port)
        gate.wait()
        try:
            while True:
                with lock:
                    i = state["next"]
                    state["next"] += 1
                if i >= len(bodies):
                    break
                conn.request("POST", "/ez", body=bodies[i], headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                ack = time.perf_counter()
                with lock:
                    state["last_ack"] = max(state["last_ack"], ack)
                    if resp.status != 200 or json.loads(data).get("multiple") != PER_REQUEST:
                        state["errors"].append((i, resp.status, data[:200]))
        except Exception as exc:
            with lock:
                state["errors"].append(("exception", repr(exc)))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=HARD_LIMIT)
    return {"elapsed": state["last_ack"] - t0, "errors": state["errors"]}


def minute_points(db: Database, account_id: int, first_ts: int, last_ts: int) -> int:
    return int(db.read(lambda tx: tx.scalar(
        "SELECT SUM(r.n) FROM rollups r JOIN stats s ON s.id = r.stat_id WHERE s.account_id = ? AND r.res = ?"
        " AND r.ts >= ? AND r.ts <= ?", (account_id, MINUTE, first_ts, last_ts))) or 0)


class Eyrie:
    def __init__(self, backend: str, workdir: Path, args):
        self.backend, self.workdir, self.args = backend, workdir, args
        self.cpu_env = {"EYRIE_CPU": args.cpu} if args.cpu else {}  # Eyrie's servers only, not the clients
        self.mdb = None
        self.accounts = 0

    def start(self, dbname: str = "eyrie_peer") -> Eyrie:
        if self.backend == "mariadb":
            from tests.support.mariadb import MariaDB

            if self.mdb is None:
                self.mdb = _start_mariadb(MariaDB, self.workdir)
            self.url = self.mdb.create_database(dbname)
        else:
            self.url = f"sqlite:///{self.workdir / dbname / 'eyrie.db'}"
        self.db = Database(self.url)
        migrate(self.db)
        var = str(self.workdir / f"var-{dbname}")
        # The threads `serve` itself defaults to for this server (what the report prints).
        self.server = EyrieServer(self.url, var, role="ingest", server=self.args.server, env=self.cpu_env,
                                  threads=THREADS[self.args.server]).start()
        self.web = None
        return self

    def stop(self) -> None:
        for s in (self.server, self.web):
            if s is not None:
                s.stop()
        self.db.close()

    def destroy(self) -> None:
        if self.mdb is not None:
            self.mdb.destroy()
            self.mdb = None

    def account(self) -> tuple[str, int]:
        self.accounts += 1
        ezkey = f"peer{self.accounts}@example.com"
        acc = create_account(self.db, ezkey, "bench-password", int(time.time()))
        return ezkey, acc.id

    def bulk_round(self, ezkey: str, account_id: int, n_stats: int, n_points: int, end_ts: int, base: int,
                   label: str) -> dict:
        names = [f"bench.ingest.m{m:05d}" for m in range(n_stats)]
        first_ts = end_ts - (n_points - 1) * MINUTE
        bodies = bodies_for(ezkey, names, n_points, first_ts, base)
        before = minute_points(self.db, account_id, first_ts, end_ts)
        ld = os.getloadavg()[0]
        pid = self.server.app_pid
        cpu0 = proc_cpu(pid)
        r = send_bulk(self.server.port, bodies)
        cpu = proc_cpu(pid) - cpu0
        stored = minute_points(self.db, account_id, first_ts, end_ts) - before
        points = n_stats * n_points
        ok = stored == points and not r["errors"]
        res = {"label": label, "pps": points / r["elapsed"], "us_per_point": cpu * 1e6 / points,
               "elapsed": r["elapsed"], "stored": stored, "points": points, "ok": ok, "load": ld}
        check = "" if ok else "  <-- CHECK " + str(r["errors"][:2])
        print(f"[{self.backend}] {label}: {res['pps']:,.0f} points/s ({points:,} in {r['elapsed']:.2f}s), server CPU "
              f"{res['us_per_point']:.1f} us/point, stored {stored:,}{check} (load {ld:.2f})", flush=True)
        return res

    def workload(self, n_stats: int, n_points: int, rounds: int, end_ts: int) -> dict:
        cold, warm = [], []
        first_account = None
        for i in range(rounds):
            ezkey, acc = self.account()
            first_account = first_account or (ezkey, acc)
            cold.append(self.bulk_round(ezkey, acc, n_stats, n_points, end_ts, 1000 * i,
                                        f"{n_stats}x{n_points} cold #{i + 1}"))
        for i in range(rounds):
            warm.append(self.bulk_round(*first_account, n_stats, n_points, end_ts, 100_000 + 1000 * i,
                                        f"{n_stats}x{n_points} warm #{i + 1}"))
        return {"cold": cold, "warm": warm}

    def singles(self, what: str = "", clients: int = CLIENTS) -> dict:
        ezkey, _ = self.account()
        port = self.server.port
        body = f"ezkey={ezkey}&stat=bench+single&count=1".encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        run_rate(port, "POST", "/ez", body, form, self._single_status(port, body, form), clients, 0.5)
        status = self._single_status(port, body, form)
        run_rate(port, "GET", "/", None, {}, 200, clients, 0.5)
        pid = self.server.app_pid
        dbpid = self.mdb.proc.pid if self.mdb is not None else None
        posts, noops, cpu_p, cpu_n, cpu_db = [], [], 0.0, 0.0, 0.0
        ld = os.getloadavg()[0]
        for _ in range(2):
            c0 = proc_cpu(pid)
            noops.append(run_rate(port, "GET", "/", None, {}, 200, clients, 2.5))
            c1 = proc_cpu(pid)
            d1 = proc_cpu(dbpid)
            posts.append(run_rate(port, "POST", "/ez", body, form, status, clients, 2.5))
            cpu_n += c1 - c0
            cpu_p += proc_cpu(pid) - c1
            cpu_db += proc_cpu(dbpid) - d1
        ok_p = sum(r["ok"] for r in posts)
        ok_n = sum(r["ok"] for r in noops)
        rate_p = ok_p / sum(r["elapsed"] for r in posts)
        rate_n = ok_n / sum(r["elapsed"] for r in noops)
        bad = sum(r["bad"] for r in posts)
        res = {"posts": rate_p, "noop": rate_n, "clients": clients, "us_post": cpu_p * 1e6 / max(ok_p, 1),
               "us_noop": cpu_n * 1e6 / max(ok_n, 1), "bad": bad, "load": ld,
               "us_db_post": cpu_db * 1e6 / max(ok_p, 1) if dbpid else None}
        db_cpu = f", mariadbd {res['us_db_post']:.0f} us" if dbpid else ""
        print(f"[{self.backend}] single /ez{what}, {clients} clients: {rate_p:,.0f}/s "
              f"({res['us_post']:.0f} us CPU each{db_cpu}, {bad} bad) vs "
              f"no-op GET / {rate_n:,.0f}/s ({res['us_noop']:.0f} us): {rate_p / rate_n:.0%} (load {ld:.2f})",
              flush=True)
        return res

    def ab_singles(self, base_root: Path, clients: int = CLIENTS) -> dict:
        """Single posts against this server and one running the code at base_root (e.g. a checkout of
        main), same database, alternating 2.5 s rounds, so both see the same machine."""
        base = base_server(self.url, self.workdir / "var-base", base_root)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        out = {}
        try:
            setup = []
            for name, server in (("this", self.server), ("base", base)):
                ezkey, _ = self.account()
                body = f"ezkey={ezkey}&stat=bench+ab&count=1".encode()
                status = self._single_status(server.port, body, form)
                setup.append((name, server, body, status))
                out[name] = {"ok": 0, "elapsed": 0.0, "cpu": 0.0}
            for _ in range(2):
                for name, server, body, status in setup:
                    c0 = proc_cpu(server.app_pid)
                    r = run_rate(server.port, "POST", "/ez", body, form, status, clients, 2.5)
                    o = out[name]
                    o["ok"] += r["ok"]
                    o["elapsed"] += r["elapsed"]
                    o["cpu"] += proc_cpu(server.app_pid) - c0
        finally:
            base.stop()
        for o in out.values():
            o["rate"] = o["ok"] / o["elapsed"]
            o["us"] = o["cpu"] * 1e6 / max(o["ok"], 1)
        out["load"] = os.getloadavg()[0]
        # The base runs waitress, the only server an older checkout knows (and the default).
        out["servers"] = (self.args.server, "waitress")
        out["clients"] = clients
        print(f"[{self.backend}] A/B single posts, {clients} clients: this ({self.args.server}) "
              f"{out['this']['rate']:,.0f}/s "
              f"({out['this']['us']:.0f} us CPU) vs {base_root} (waitress) {out['base']['rate']:,.0f}/s "
              f"({out['base']['us']:.0f} us): "
              f"{out['this']['rate'] / out['base']['rate']:.2f}x (load {out['load']:.2f})", flush=True)
        return out

    @staticmethod
    def _single_status(port, body, form) -> int:
        conn = _conn(port)
        conn.request("POST", "/ez", body=body, headers=form)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.status

    def latency(self, n: int = 20) -> dict:
        """One post, then the export API polled until that minute's count shows it; rounds alternate
        between two ways of timing it. "awaited": the first read is sent once the post's reply (its
        commit) is in. "unawaited", as graphite-bench times carbon (it writes the line and polls
        /render at once, with no reply to wait for): the reads start as soon as the post is sent,
        and its reply is read after; the point is readable when a read shows it, whichever came first."""
        ezkey, acc = self.account()
        token = f"peerlatency{self.accounts}"
        self.db.run(lambda tx: aq.insert_token(tx, acc, token, "bench", int(time.time())))
        if self.web is None:
            self.web = EyrieServer(self.url, str(self.workdir / f"var-web-{self.backend}"), role="web",
                                   server=self.args.server, env=self.cpu_env).start()
        ingest, web = _conn(self.server.port), _conn(self.web.port)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        stat_id, count = None, 0
        samples: dict[str, list[float]] = {"awaited": [], "unawaited": []}
        posts: list[float] = []  # the post's own round trip, of each awaited sample
        floor_ingest: list[float] = []
        floor_web: list[float] = []

        def seen_at(t0: float) -> float:
            while time.perf_counter() - t0 < 10:
                web.request("GET", f"/x/{token}/data/{stat_id}?t=1h1m")
                doc = json.loads(web.getresponse().read())
                if sum(p["count"] for p in doc[0]["points"]) >= count:
                    break
            return (time.perf_counter() - t0) * 1000

        def replied() -> None:
            r = ingest.getresponse()
            r.read()
            assert r.status == 200, r.status

        for i in range(2 * n + 1):
            t = int(time.time())
            t -= t % MINUTE
            way = "awaited" if i % 2 else "unawaited"
            t0 = time.perf_counter()
            ingest.request("POST", "/ez", body=f"ezkey={ezkey}&stat=bench+latency&count=1&t={t}".encode(),
                           headers=form)
            count += 1
            if stat_id is None or way == "awaited":
                replied()
                posts.append((time.perf_counter() - t0) * 1000)
            if stat_id is None:
                stat_id = self.db.read(lambda tx: tx.scalar(
                    "SELECT id FROM stats WHERE account_id = ? AND name = ?", (acc, "bench latency")))
                continue  # round 0 creates the stat, untimed (as graphite-bench's round 0)
            samples[way].append(seen_at(t0))
            if way == "unawaited":
                replied()
            time.sleep(0.02)
            # The floor under it: a no-op round trip to each server after the same pause (waitress
            # waking its threads on an idle machine), so a post + a read can cost no less than both.
            for conn, path, out in ((ingest, "/", floor_ingest), (web, "/static/favicon.svg", floor_web)):
                t1 = time.perf_counter()
                conn.request("GET", path)
                conn.getresponse().read()
                out.append((time.perf_counter() - t1) * 1000)
                time.sleep(0.02)
        ingest.close()
        web.close()

        def p99(v: list[float]) -> float:
            return sorted(v)[min(len(v) - 1, int(len(v) * 0.99))]

        return {"p50": statistics.median(samples["awaited"]), "p99": p99(samples["awaited"]),
                "unawaited_p50": statistics.median(samples["unawaited"]), "unawaited_p99": p99(samples["unawaited"]),
                "n": len(samples["awaited"]), "post_p50": statistics.median(posts[1:]),
                "noop_ingest_p50": statistics.median(floor_ingest),
                "noop_web_p50": statistics.median(floor_web)}

    def peak_rss_kb(self) -> int:
        return vm_hwm_kb(self.server.app_pid)


def base_server(url: str, var: Path, root: Path, server: str | None = None) -> EyrieServer:
    """An ingest server running the code in another checkout (root), for A/B rounds; under waitress
    unless told (an older checkout may not know granian)."""
    import tests.support.server as srv

    saved, srv.ROOT = srv.ROOT, root
    try:
        server = server or "waitress"
        return EyrieServer(url, str(var), role="ingest", server=server, threads=THREADS[server]).start()
    finally:
        srv.ROOT = saved


def fill_history(e: Eyrie, rows: int) -> None:
    """rows rollup rows of 1,000 other stats of another account, straight into the table."""
    ezkey, acc = e.account()
    now = int(time.time())
    n_stats = 1000
    ids = [s["id"] for s in ensure_stats(e.db, acc, {f"history {i:04d}": "counter" for i in range(n_stats)},
                                         now).values()]
    per_stat = rows // len(ids)
    start = now - now % MINUTE - per_stat * MINUTE - 3 * 86400
    t0 = time.perf_counter()
    chunk = 5000
    for sid in ids:
        for c in range(0, per_stat, chunk):
            vals = ",".join(f"({sid},60,{start + k * 60},1.0,1,1.0,1.0)" for k in range(c, min(per_stat, c + chunk)))
            e.db.run(lambda tx, vals=vals: tx.execute_raw(
                "INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES " + vals))
    print(f"[{e.backend}] history: {per_stat * len(ids):,} rollup rows in {time.perf_counter() - t0:.0f}s", flush=True)
    settle(e)


def wal_checkpoint(e: Eyrie, mode: str) -> None:
    import sqlite3

    conn = sqlite3.connect(e.url.removeprefix("sqlite:///"))   # outside a transaction, so it completes
    conn.execute("PRAGMA busy_timeout=30000")  # waits for a commit or fold under way instead of giving up
    busy, _, _ = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    conn.close()
    if busy:
        print(f"[{e.backend}] wal_checkpoint({mode}) could not complete (a writer or reader held on)", flush=True)


def settle(e: Eyrie, bound: float = 180.0, what: str = "history") -> None:
    """Let the fill reach the disk before the rounds are timed: history a real database holds was
    written long ago, while right after a bulk fill hundreds of MB are still dirty (SQLite's WAL and
    the page cache, InnoDB's buffer pool), and the first fsync of a timed commit would pay for them.
    Single posts too are timed on a database at rest, not while it writes out the bulk rounds."""
    t0 = time.perf_counter()
    if e.backend == "sqlite":
        # RESTART, not TRUNCATE: everything is copied into the database and the next commit writes
        # the WAL from its start, over blocks the file already has, as in a server that has run a
        # while. An emptied WAL grows again by appends, and each append's fsync also writes the
        # file's new size: single posts ran 34-54 % of the no-op there against 62-71 % at 27-40 MB
        # (bench/README.md, 2026-12-07, eleventh session), a cost only the first 40 MB after a
        # restart pay (SQLite deletes the WAL when the last connection closes); run_eyrie times
        # that case too, last.
        wal_checkpoint(e, "RESTART")
    else:
        # InnoDB flushes at innodb_io_capacity (200 pages/s by default, a spinning disk's figure):
        # asked to keep no dirty pages, it writes them out as fast as the disk takes, then back to
        # its defaults for the timed rounds.
        e.mdb.sql("SET GLOBAL innodb_max_dirty_pages_pct = 0")
        try:
            while time.perf_counter() - t0 < bound:
                dirty = e.db.read(lambda tx: tx.all("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'"))
                if int(dirty[0]["Value"]) < 100:
                    break
                time.sleep(1)
        finally:
            e.mdb.sql("SET GLOBAL innodb_max_dirty_pages_pct = 90")
    os.sync()
    print(f"[{e.backend}] {what} settled on disk in {time.perf_counter() - t0:.0f}s", flush=True)


def run_eyrie(backend: str, args, workdir: Path) -> dict:
    e = Eyrie(backend, workdir, args)
    out: dict = {"backend": backend}
    now = int(time.time())
    end_ts = now - now % MINUTE - MINUTE  # the last complete minute, as graphite-bench
    try:
        e.start("eyrie_peer")
        try:
            out["1000x100"] = e.workload(1000, 100, args.rounds, end_ts)
            settle(e, what="the bulk rounds")
            out["singles"] = [e.singles(clients=c) for c in SINGLE_CLIENTS]
            if args.ab_root:
                out["abs"] = [e.ab_singles(Path(args.ab_root), c) for c in SINGLE_CLIENTS]
            out["latency"] = e.latency()
            print(f"[{backend}] single post until readable (export API): p50 {out['latency']['p50']:.1f} ms, "
                  f"p99 {out['latency']['p99']:.1f} ms; reads not awaiting the reply (graphite-bench's way) p50 "
                  f"{out['latency']['unawaited_p50']:.1f} ms, p99 {out['latency']['unawaited_p99']:.1f} ms "
                  f"(the post's own round trip p50 "
                  f"{out['latency']['post_p50']:.1f} ms); no-op round trip after the same pause: ingest "
                  f"{out['latency']['noop_ingest_p50']:.1f} ms, web {out['latency']['noop_web_p50']:.1f} ms",
                  flush=True)
            if backend == "sqlite":
                wal_checkpoint(e, "TRUNCATE")
                out["single_empty_wal"] = e.singles(" (WAL emptied, as after a restart)")
            if args.scale:
                out["10000x10"] = e.workload(10000, 10, 1, end_ts)
                out["10x10000"] = e.workload(10, 10000, args.rounds, end_ts)
            out["rss_kb"] = e.peak_rss_kb()
        finally:
            e.stop()
        if args.history:
            e.start("eyrie_history")
            try:
                fill_history(e, args.history)
                out["history"] = e.workload(1000, 100, args.rounds, end_ts)
            finally:
                e.stop()
    finally:
        e.destroy()
    return out


# -- the table ------------------------------------------------------------------------------------

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def report(sittings: list[dict], server: str = "waitress", cpus: str | None = None) -> None:
    threads = THREADS[server]
    cpu = f", EYRIE_CPU={cpus}" if cpus else ""
    print()
    print(f"bench-peer {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores; Eyrie: one "
          f"ingest process ({server}, {threads} threads{cpu}), {CLIENTS} client threads (single posts: also "
          f"{SINGLE_CLIENTS[-1]}), 1,000 points per JSON "
          "request, SQLite synchronous=FULL / MariaDB innodb_flush_log_at_trx_commit=1 (fsync per commit); carbon: "
          "WHISPER_AUTOFLUSH=False (no fsync). Medians of each sitting's rounds.")
    for n, s in enumerate(sittings, 1):
        peer = s.get("peer") or {}
        print(f"\nsitting {n}: peer load {peer.get('load_start', float('nan')):.2f} at start")
        print(f"{'':36}{'carbon':>10}" + "".join(f"{r['backend']:>10}{'E/carbon':>8}" for r in s["eyrie"]))

        def row(label, peer_val, eyrie_fn, fmt="{:,.0f}", inverse=False, ratio=True, s=s):
            cells = f"{label:36}{(fmt.format(peer_val) if peer_val is not None else '-'):>10}"
            for r in s["eyrie"]:
                v = eyrie_fn(r)
                if v is None:
                    cells += f"{'-':>10}{'':>8}"
                    continue
                x = (peer_val / v if inverse else v / peer_val) if (peer_val and ratio) else None
                cells += f"{fmt.format(v):>10}" + (f"{x:>7.2f}x" if x is not None else " " * 8)
            print(cells)

        for wl, peer_wl in (("1000x100", "1000x100"), ("10000x10", "1000x100"), ("10x10000", "10x10000")):
            for mode in ("cold", "warm"):
                pk = peer.get(f"ingest_{peer_wl}_{mode}")
                if not any(wl in r for r in s["eyrie"]):
                    continue
                prate = pk["e2e_rate"]["median"] if pk else None
                pcpu = pk["carbon_cpu_us_per_point"]["median"] if pk else None
                label = f"{wl} {mode}" + (f" (vs {peer_wl})" if wl != peer_wl else "")
                row(f"{label} points/s", prate,
                    lambda r, wl=wl, mode=mode: med([x["pps"] for x in r[wl][mode]]) if wl in r else None)
                row("  server CPU us/point (carbon/E)", pcpu,
                    lambda r, wl=wl, mode=mode: med([x["us_per_point"] for x in r[wl][mode]]) if wl in r else None,
                    fmt="{:.1f}", inverse=True)
                row("  1-min load avg (peer: at start)", peer.get("load_start"),
                    lambda r, wl=wl, mode=mode: med([x["load"] for x in r[wl][mode]]) if wl in r else None,
                    fmt="{:.2f}", ratio=False)
        row("peak RSS MB (ratio carbon/E)", (peer.get("carbon_peak_rss_kb") or 0) / 1024,
            lambda r: r.get("rss_kb", 0) / 1024, inverse=True)
        lat = (peer.get("latency_visible_ms") or {}).get("median")
        row("post->readable p50 ms (E/graphite)", lat, lambda r: r["latency"]["p50"], fmt="{:.1f}")
        row("post->readable p99 ms (E/graphite)", lat, lambda r: r["latency"]["p99"], fmt="{:.1f}")
        row("  not awaiting the reply, as graphite: p50", lat, lambda r: r["latency"]["unawaited_p50"], fmt="{:.1f}")
        row("  not awaiting the reply, as graphite: p99", lat, lambda r: r["latency"]["unawaited_p99"], fmt="{:.1f}")
        row("  floor: no-op ingest + no-op web p50 ms", lat,
            lambda r: r["latency"]["noop_ingest_p50"] + r["latency"]["noop_web_p50"], fmt="{:.1f}")
        for i, clients in enumerate(SINGLE_CLIENTS):
            print(f"single posts, {clients} clients " + "".join(
                f"  {r['backend']}: {x['posts']:,.0f}/s vs no-op {x['noop']:,.0f}/s = "
                f"{x['posts'] / x['noop']:.0%}, CPU {x['us_post']:.0f}/{x['us_noop']:.0f} us, load {x['load']:.2f};"
                for r in s["eyrie"] for x in [r["singles"][i]]))
        for r in s["eyrie"]:
            if "single_empty_wal" in r:
                x = r["single_empty_wal"]
                print(f"  {r['backend']} right after the WAL is emptied (as after a restart, until it has grown "
                      f"to its working size): {x['posts']:,.0f}/s vs no-op {x['noop']:,.0f}/s = "
                      f"{x['posts'] / x['noop']:.0%}, CPU {x['us_post']:.0f}/{x['us_noop']:.0f} us")
        for r in s["eyrie"]:
            for ab in r.get("abs", ()):
                print(f"  {r['backend']} single posts, {ab['clients']} clients, A/B same sitting: "
                      f"{ab['this']['rate']:,.0f}/s "
                      f"({ab['servers'][0]}) vs base {ab['base']['rate']:,.0f}/s ({ab['servers'][1]}) = "
                      f"{ab['this']['rate'] / ab['base']['rate']:.2f}x "
                      f"(CPU {ab['this']['us']:.0f} vs {ab['base']['us']:.0f} us, load {ab['load']:.2f})")
            if "history" in r:
                for mode in ("cold", "warm"):
                    h = med([x["pps"] for x in r["history"][mode]])
                    e = med([x["pps"] for x in r["1000x100"][mode]])
                    print(f"  {r['backend']} {mode} with history / empty: {h:,.0f} / {e:,.0f} = {h / e:.2f}")
        bad = [x["label"] for r in s["eyrie"] for wl in ("1000x100", "10000x10", "10x10000", "history")
               for mode in ("cold", "warm") for x in r.get(wl, {}).get(mode, []) if not x["ok"]]
        if bad:
            print(f"  NOT ALL POINTS STORED: {bad}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=("sqlite", "mariadb", "both"), default="both")
    p.add_argument("--sittings", type=int, default=2, help="peer + Eyrie, back to back, this many times")
    p.add_argument("--rounds", type=int, default=3, help="Eyrie rounds per workload and mode")
    p.add_argument("--peer-reps", type=int, default=3, help="graphite-bench rounds per workload and mode")
    p.add_argument("--scale", action="store_true", help="also 10000x10 and 10x10000")
    p.add_argument("--history", type=int, default=0, help="also the rate after filling N rollup rows")
    p.add_argument("--no-peer", action="store_true", help="Eyrie only (no ratios)")
    p.add_argument("--server", choices=SERVERS, default=SERVERS[0],
                   help="the HTTP server of Eyrie's ingest and web processes (serve --server)")
    p.add_argument("--cpu", help="EYRIE_CPU for Eyrie's ingest and web servers (e.g. 1): keep them on these CPUs")
    p.add_argument("--ab-root", help="also single posts A/B against the code in this checkout (e.g. of main)")
    p.add_argument("--graphite-dir", default=os.environ.get("GRAPHITE_BENCH_DIR", str(ROOT / "var" / "graphite-bench")))
    p.add_argument("--json", help="write every figure to this file")
    args = p.parse_args(argv)
    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    sittings = []
    for n in range(args.sittings):
        print(f"== sitting {n + 1} {time.strftime('%H:%M:%S')} ({load()})", flush=True)
        s = {"peer": None if args.no_peer else run_peer(args, n + 1), "eyrie": []}
        for b in backends:
            workdir = Path(tempfile.mkdtemp(prefix="eyrie-peer-", dir="/tmp"))
            try:
                s["eyrie"].append(run_eyrie(b, args, workdir))
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        sittings.append(s)
    report(sittings, args.server, args.cpu)
    if args.json:
        Path(args.json).write_text(json.dumps(sittings, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
