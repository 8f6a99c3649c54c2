"""Ingest throughput: JSON bulk, single /ez posts, a no-op baseline and the raw database upsert.

Run by hand (loopback only; starts and removes its own throwaway MariaDB and SQLite file):

    .venv/bin/python bench/ingest.py [--backend sqlite|mariadb|both] [--quick]
                                     [--server-threads 8] [--clients 8] [--cold]

For each backend it prints
  (a) JSON bulk points/s: 1,000 stats x 100 one-minute points, time-major (request k holds minute k
      for every stat), 1,000 points per request from --clients keep-alive client threads, timed from
      the first request until the last minute's rows are readable in the database;
  (b) single `/ez` form posts/s (`ezkey=..&stat=bench single&count=1`), same client code, ~5 s;
  (c) `GET /` on the same ingest server (tiny JSON, no database): the baseline for (b), ~5 s;
  (d) the raw database: the very rollup rows (a) writes (app.rollups.RollupBatch), written with
      app.storage.points.upsert_rollups in db.run to a fresh rollups table, one transaction per
      1,000-point request, one thread;
and the ratios (a)/(d) and (b)/(c). Graphite's carbon is measured beside Eyrie, in the same
sitting, by bench/peer.py (make bench-peer): an absolute peer figure from another day says nothing.

Warm-up: by default one pass of the bulk workload on an earlier day creates the 1,000 stats
(auto-created by /ez, nothing is pre-created) and warms connections; (a) is then measured on fresh
minute, hour and day buckets. The cold pass is reported too. --cold skips the separate warm pass
and makes the first (auto-creating) pass the headline figure.

Machines are noisy: compare ratios measured in one run, never absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.interactors.accounts import create_account  # noqa: E402
from app.rollups import DAY, HOUR, MINUTE, RollupBatch  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from app.storage.points import upsert_rollups  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

EZKEY = "bench@example.com"
TARGET_A_OVER_D = 0.50
TARGET_B_OVER_C = 0.60
HARD_LIMIT = 300.0  # seconds: no single phase may run longer than this


# -- process CPU accounting (where do the 2 cores go?) ------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int | None) -> float:
    """utime + stime of a process, in seconds (0 when unknown)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


class CpuMeter:
    def __init__(self, pids: dict[str, int | None]):
        self.pids = {k: v for k, v in pids.items() if v}

    def snap(self) -> dict[str, float]:
        snap = {name: proc_cpu(pid) for name, pid in self.pids.items()}
        t = os.times()
        snap["client"] = t.user + t.system
        snap["other"] = machine_busy() - sum(snap.values())  # other processes: noise from elsewhere
        return snap

    @staticmethod
    def diff(a: dict, b: dict) -> dict[str, float]:
        return {k: b[k] - a[k] for k in a}


def machine_busy() -> float:
    """CPU seconds spent by the whole machine (all cores) since boot, idle and iowait excluded."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _TICK


NOISY = 0.30  # other processes used more than this share of one core: the figures are suspect


def fmt_cpu(cpu: dict[str, float], wall: float) -> str:
    parts = [f"{k} {v:.1f}s ({v / wall:.0%})" for k, v in cpu.items()]
    noisy = "  NOISY: other processes busy" if cpu.get("other", 0) / wall > NOISY else ""
    return "CPU " + ", ".join(parts) + f" over {wall:.1f}s wall{noisy}"


def noisy(cpu: dict[str, float], wall: float) -> bool:
    return cpu.get("other", 0) / wall > NOISY


# -- HTTP clients --------------------------------------------------------------------------------

def _conn(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def run_bulk(port: int, bodies: list[bytes], clients: int, expect_multiple: int) -> dict:
    """Send every body once, in order, from `clients` keep-alive connections; wait for all replies."""
    lock = threading.Lock()
    state = {"next": 0, "errors": [], "latencies": []}
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker():
        conn = _conn(port)
        lat = []
        start_gate.wait()
        try:
            while time.monotonic() < deadline[0]:
                with lock:
                    i = state["next"]
                    state["next"] += 1
                if i >= len(bodies):
                    break
                t0 = time.perf_counter()
                conn.request("POST", "/ez", body=bodies[i], headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                lat.append(time.perf_counter() - t0)
                if resp.status != 200 or json.loads(data).get("multiple") != expect_multiple:
                    with lock:
                        state["errors"].append((i, resp.status, data[:200]))
        except Exception as exc:  # report, never hang
            with lock:
                state["errors"].append(("exception", repr(exc)))
        finally:
            conn.close()
            with lock:
                state["latencies"].extend(lat)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + HARD_LIMIT
    t0 = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join(timeout=HARD_LIMIT + 10)
    t_replied = time.perf_counter()
    lat = sorted(state["latencies"])
    return dict(t0=t0, t_replied=t_replied, errors=state["errors"], sent=len(lat),
                p50=lat[len(lat) // 2] if lat else 0.0, p99=lat[int(len(lat) * 0.99)] if lat else 0.0)


def run_rate(port: int, method: str, path: str, body: bytes | None, headers: dict, ok_status: int,
             clients: int, duration: float, max_requests: int = 2_000_000) -> dict:
    """Hammer one endpoint from `clients` keep-alive connections for `duration` seconds."""
    lock = threading.Lock()
    counts = {"ok": 0, "bad": 0, "closed": 0, "errors": []}
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]
    per_thread = max_requests // clients

    def worker():
        conn = _conn(port)
        ok = bad = closed = 0
        start_gate.wait()
        try:
            for _ in range(per_thread):
                if time.perf_counter() >= stop_at[0]:
                    break
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.will_close:  # the server ended keep-alive: http.client reconnects next time
                    closed += 1
                if resp.status == ok_status:
                    ok += 1
                else:
                    bad += 1
                    if len(counts["errors"]) < 5:
                        counts["errors"].append((resp.status, data[:200]))
        except Exception as exc:
            counts["errors"].append(("exception", repr(exc)))
        finally:
            conn.close()
            with lock:
                counts["ok"] += ok
                counts["bad"] += bad
                counts["closed"] += closed

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + duration
    start_gate.wait()
    for t in threads:
        t.join(timeout=duration + 40)
    elapsed = time.perf_counter() - t0
    return dict(ok=counts["ok"], bad=counts["bad"], closed=counts["closed"], errors=counts["errors"],
                elapsed=elapsed, rate=counts["ok"] / elapsed)


# -- workload -------------------------------------------------------------------------------------

def stat_name(i: int) -> str:
    return f"bench s{i:04d}"


def bulk_bodies(n_stats: int, n_minutes: int, base: int, seed: int) -> tuple[list[bytes], list[list]]:
    """Time-major bulk requests: request k holds minute k for every stat. Also return the raw items."""
    rnd = random.Random(seed)
    bodies, raw = [], []
    for k in range(n_minutes):
        t = base + k * MINUTE
        items = [(stat_name(s), round(rnd.uniform(0, 1000), 3), t) for s in range(n_stats)]
        raw.append(items)
        data = [{"stat": name, "value": v, "t": tt} for name, v, tt in items]
        bodies.append(json.dumps({"ezkey": EZKEY, "data": data}, separators=(",", ":")).encode())
    return bodies, raw


def wait_readable(db: Database, last_ts: int, n_stats: int, limit: float = 60.0) -> bool:
    """Poll until every stat's minute row at last_ts exists (bounded)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        n = db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM rollups WHERE res = ? AND ts = ?", (MINUTE, last_ts)))
        if int(n or 0) >= n_stats:
            return True
        time.sleep(0.002)
    return False


def stored_points(db: Database, start: int, end: int) -> int:
    n = db.read(lambda tx: tx.scalar(
        "SELECT SUM(n) FROM rollups WHERE res = ? AND ts >= ? AND ts < ?", (MINUTE, start, end)))
    return int(n or 0)


def bulk_pass(label: str, port: int, db: Database, meter: CpuMeter, n_stats: int, n_minutes: int,
              base: int, clients: int, seed: int) -> dict:
    bodies, raw = bulk_bodies(n_stats, n_minutes, base, seed)
    last_ts = base + (n_minutes - 1) * MINUTE
    cpu0 = meter.snap()
    r = run_bulk(port, bodies, clients, n_stats)
    readable = wait_readable(db, last_ts, n_stats)
    t_end = time.perf_counter()
    cpu = CpuMeter.diff(cpu0, meter.snap())
    wall = t_end - r["t0"]
    points = n_stats * n_minutes
    stored = stored_points(db, base, base + n_minutes * MINUTE)
    r.update(label=label, wall=wall, readable=readable, points=points, stored=stored, raw=raw, cpu=cpu,
             pps=points / wall, poll=t_end - r["t_replied"], ms_per_k=cpu.get("server", 0) / points * 1e6)
    return r


def raw_upsert(url: str, stat_ids: dict[str, int], raws: list[list], tz: str = "UTC") -> dict:
    """(d): the rows each 1,000-point request of (a) produces, one transaction each, one thread."""
    db = Database(url)
    try:
        migrate(db)
        batches = []
        for items in raws:
            batch = RollupBatch()
            for name, value, t in items:
                batch.add(stat_ids[name], t, value, tz)
            batches.append((batch.points, batch.sorted_rows()))
        db.run(lambda tx: tx.scalar("SELECT COUNT(*) FROM rollups"))  # open the connection up front
        rows_total = points_total = 0
        t0 = time.perf_counter()
        for points, rows in batches:
            db.run(lambda tx, rows=rows: upsert_rollups(tx, rows))
            rows_total += len(rows)
            points_total += points
        elapsed = time.perf_counter() - t0
        return dict(rows=rows_total, points=points_total, elapsed=elapsed, rows_per_s=rows_total / elapsed,
                    pps=points_total / elapsed, txs=len(batches))
    finally:
        db.close()


# -- one backend ----------------------------------------------------------------------------------

def bench_backend(name: str, args, workdir: Path) -> dict:
    mdb = None
    result: dict = {"backend": name}
    try:
        if name == "mariadb":
            from tests.support.mariadb import MariaDB

            mdb = _start_mariadb(MariaDB, workdir)
            url = mdb.create_database("eyrie_bench")
            raw_url = mdb.create_database("eyrie_bench_raw")
        else:
            url = f"sqlite:///{workdir / 'sqlite' / 'eyrie.db'}"
            raw_url = f"sqlite:///{workdir / 'sqlite' / 'raw.db'}"
        now = int(time.time())
        db = Database(url)
        migrate(db)
        create_account(db, EZKEY, "bench-password", now)

        server = EyrieServer(url, str(workdir / f"var-{name}"), role="ingest", threads=args.server_threads).start()
        try:
            meter = CpuMeter({"server": server.proc.pid, "mariadbd": mdb.proc.pid if mdb else None})
            n_stats, n_min = args.stats, args.minutes
            day0 = now - now % DAY
            cold_base = day0 - 3 * DAY + 1 * HOUR  # earlier day: warm-up / cold pass
            hot_base = day0 - 2 * DAY + 1 * HOUR   # fresh minute, hour and day buckets
            print(f"[{name}] server pid {server.proc.pid} threads={args.server_threads}, "
                  f"{args.clients} client threads", flush=True)

            cold = bulk_pass("cold (auto-creates the stats)", server.port, db, meter, n_stats, n_min,
                             cold_base, args.clients, seed=1)
            _print_bulk(name, cold)
            if args.cold:
                hot = cold
            else:
                hot = bulk_pass("warm (fresh buckets)", server.port, db, meter, n_stats, n_min,
                                hot_base, args.clients, seed=2)
                _print_bulk(name, hot)
            result["bulk_cold"], result["bulk"] = cold, hot

            # (b) and (c): alternate short rounds so drift hits both alike.
            single_body = f"ezkey={EZKEY}&stat=bench+single&count=1".encode()
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            run_rate(server.port, "POST", "/ez", single_body, form, 200, args.clients, 0.5)  # creates the stat
            run_rate(server.port, "GET", "/", None, {}, 200, args.clients, 0.5)
            noops, singles_l = [], []
            before_single = _single_count(db)
            cpu_b = {}
            rounds = 2
            cpu_c = {}
            for _ in range(rounds):
                c0 = meter.snap()
                noops.append(run_rate(server.port, "GET", "/", None, {}, 200, args.clients, args.duration / rounds))
                d = CpuMeter.diff(c0, meter.snap())
                cpu_c = {k: cpu_c.get(k, 0) + v for k, v in d.items()}
                c0 = meter.snap()
                singles_l.append(run_rate(server.port, "POST", "/ez", single_body, form, 200, args.clients,
                                          args.duration / rounds))
                d = CpuMeter.diff(c0, meter.snap())
                cpu_b = {k: cpu_b.get(k, 0) + v for k, v in d.items()}
            singles = _sum_rates(singles_l)
            noop = _sum_rates(noops)
            stored_single = _single_count(db) - before_single
            singles["stored"] = stored_single
            singles["cpu"], noop["cpu"] = cpu_b, cpu_c
            singles["us"] = cpu_b.get("server", 0) / max(singles["ok"], 1) * 1e6
            noop["us"] = cpu_c.get("server", 0) / max(noop["ok"], 1) * 1e6
            result["single"], result["noop"] = singles, noop
            print(f"[{name}] (b) single /ez: {singles['rate']:,.0f} req/s ({singles['ok']} ok, {singles['bad']} bad,"
                  f" {stored_single} stored, server closed keep-alive after {singles['closed']} replies,"
                  f" server CPU {singles['us']:.0f} us/request) {fmt_cpu(cpu_b, singles['elapsed'])}", flush=True)
            print(f"[{name}] (c) GET /     : {noop['rate']:,.0f} req/s ({noop['ok']} ok, {noop['bad']} bad,"
                  f" server closed keep-alive after {noop['closed']} replies, server CPU {noop['us']:.0f} us/request) "
                  f"{fmt_cpu(cpu_c, noop['elapsed'])}", flush=True)
            for r in (singles, noop):
                if r["errors"]:
                    print(f"[{name}]   errors: {r['errors'][:3]}", flush=True)

            stat_ids = {r["name"]: r["id"] for r in db.read(lambda tx: tx.all("SELECT id, name FROM stats"))}
        finally:
            server.stop()
            db.close()

        # (d) with the server stopped, so the database has the machine to itself as in (a).
        meter_d = CpuMeter({"mariadbd": mdb.proc.pid if mdb else None})
        c0 = meter_d.snap()
        result["raw"] = raw = raw_upsert(raw_url, stat_ids, hot["raw"])
        raw["cpu"] = CpuMeter.diff(c0, meter_d.snap())
        print(f"[{name}] (d) raw upsert: {raw['rows_per_s']:,.0f} rows/s = {raw['pps']:,.0f} points/s "
              f"({raw['rows']} rows in {raw['txs']} transactions, {raw['elapsed']:.2f}s; the client is the bench "
              f"process) {fmt_cpu(raw['cpu'], raw['elapsed'])}", flush=True)
        return result
    finally:
        if mdb is not None:
            mdb.destroy()


def _start_mariadb(MariaDB, workdir: Path):
    """Start a throwaway MariaDB; one retry, since mariadb-install-db fails now and then under load."""
    for attempt in (1, 2):
        base = workdir / f"mariadb{attempt}"
        base.mkdir(parents=True, exist_ok=True)
        mdb = MariaDB(base=str(base))
        try:
            return mdb.start()
        except Exception as exc:
            log = "\n".join((base / f).read_text(errors="replace")[-1500:]
                            for f in ("install.log", "error.log") if (base / f).exists())
            mdb.destroy()
            print(f"[mariadb] start failed (attempt {attempt}): {exc}\n{log}", flush=True)
            if attempt == 2:
                raise
            time.sleep(1)


def _single_count(db: Database) -> int:
    n = db.read(lambda tx: tx.scalar(
        "SELECT SUM(r.n) FROM rollups r JOIN stats s ON s.id = r.stat_id WHERE s.name = ? AND r.res = ?",
        ("bench single", DAY)))
    return int(n or 0)


def _sum_rates(rs: list[dict]) -> dict:
    ok = sum(r["ok"] for r in rs)
    elapsed = sum(r["elapsed"] for r in rs)
    return dict(ok=ok, bad=sum(r["bad"] for r in rs), closed=sum(r["closed"] for r in rs),
                errors=[e for r in rs for e in r["errors"]],
                elapsed=elapsed, rate=ok / elapsed, rounds=[round(r["rate"]) for r in rs])


def _print_bulk(name: str, r: dict) -> None:
    flag = "" if (r["readable"] and not r["errors"] and r["stored"] == r["points"]) else "  <-- CHECK"
    print(f"[{name}] (a) bulk {r['label']}: {r['pps']:,.0f} points/s ({r['points']:,} points in {r['wall']:.2f}s, "
          f"{r['sent']} requests, p50 {r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms, "
          f"readable after +{r['poll'] * 1000:.1f} ms, stored {r['stored']:,}, errors {len(r['errors'])}){flag}",
          flush=True)
    print(f"[{name}]     server CPU {r['ms_per_k']:.1f} ms per 1,000 points; {fmt_cpu(r['cpu'], r['wall'])}",
          flush=True)
    if r["errors"]:
        print(f"[{name}]     first errors: {r['errors'][:3]}", flush=True)


def _ok(value: float, target: float) -> str:
    return "ok" if value >= target else "MISSED"


def print_table(results: list[dict], args) -> None:
    print()
    print(f"Eyrie ingest bench  {time.strftime('%Y-%m-%d %H:%M')}  cores={os.cpu_count()}  "
          f"server threads={args.server_threads}  client threads={args.clients}  "
          f"workload {args.stats} stats x {args.minutes} min, {args.stats} points/request")
    head = f"{'':34}" + "".join(f"{r['backend']:>16}" for r in results)
    print(head)
    print("-" * len(head))

    def row(label, fn):
        print(f"{label:34}" + "".join(f"{fn(r):>16}" for r in results))

    row("(a) bulk points/s (measured)", lambda r: f"{r['bulk']['pps']:,.0f}")
    row("    bulk points/s cold pass", lambda r: f"{r['bulk_cold']['pps']:,.0f}")
    row("(b) single /ez posts/s", lambda r: f"{r['single']['rate']:,.0f}")
    row("(c) GET / no-op req/s", lambda r: f"{r['noop']['rate']:,.0f}")
    row("    server CPU ms/1,000 points (a)", lambda r: f"{r['bulk']['ms_per_k']:.1f}")
    row("    server CPU us/request (b)", lambda r: f"{r['single']['us']:.0f}")
    row("    server CPU us/request (c)", lambda r: f"{r['noop']['us']:.0f}")
    row("    keep-alive closed by server (b)", lambda r: f"{r['single']['closed'] / max(r['single']['ok'], 1):.0%}")
    row("(d) raw upsert rows/s", lambda r: f"{r['raw']['rows_per_s']:,.0f}")
    row("(d) raw upsert points/s", lambda r: f"{r['raw']['pps']:,.0f}")
    print("-" * len(head))
    def a_over_d(r):
        return r["bulk"]["pps"] / r["raw"]["pps"]

    def b_over_c(r):
        return r["single"]["rate"] / r["noop"]["rate"]

    row(f"(a)/(d) points/s  [>= {TARGET_A_OVER_D:.0%}]",
        lambda r: f"{a_over_d(r):.0%} {_ok(a_over_d(r), TARGET_A_OVER_D)}")
    row(f"(b)/(c)  [>= {TARGET_B_OVER_C:.0%}]", lambda r: f"{b_over_c(r):.0%} {_ok(b_over_c(r), TARGET_B_OVER_C)}")
    row("(b)/(c) in server CPU per request", lambda r: f"{r['noop']['us'] / max(r['single']['us'], 1e-9):.0%}")
    noisy_phases = [f"{r['backend']} {ph}" for r in results
                    for ph, key in (("(a)", "bulk"), ("(b)", "single"), ("(c)", "noop"), ("(d)", "raw"))
                    if noisy(r[key]["cpu"], r[key].get("wall") or r[key]["elapsed"])]
    if noisy_phases:
        print(f"NOISY: other processes used > {NOISY:.0%} of a core during {', '.join(noisy_phases)}: rerun before "
              "trusting those figures (per-request server CPU is the steadier measure)")
    print()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=("sqlite", "mariadb", "both"), default="both")
    p.add_argument("--quick", action="store_true", help="20 minutes instead of 100, 2 s rate runs")
    p.add_argument("--server-threads", type=int, default=8, help="waitress threads (default 8, as `serve`)")
    p.add_argument("--clients", type=int, default=8, help="client threads, one keep-alive connection each")
    p.add_argument("--stats", type=int, default=1000)
    p.add_argument("--minutes", type=int, default=None)
    p.add_argument("--duration", type=float, default=None, help="seconds for (b) and for (c)")
    p.add_argument("--cold", action="store_true", help="no warm-up pass: the auto-creating pass is (a)")
    args = p.parse_args(argv)
    args.minutes = args.minutes or (20 if args.quick else 100)
    args.duration = args.duration or (2.0 if args.quick else 5.0)
    args.stats = max(1, min(args.stats, 10_000))
    args.minutes = max(1, min(args.minutes, 1440))
    args.clients = max(1, min(args.clients, 64))

    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    workdir = Path(tempfile.mkdtemp(prefix="eyrie-bench-", dir="/tmp"))
    results = []
    try:
        for name in backends:
            results.append(bench_backend(name, args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
