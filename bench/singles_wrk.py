"""Single posts under wrk (a C client), beside their baselines from the same run (issue 9).

    .venv/bin/python bench/singles_wrk.py [--backend sqlite|mariadb|both] [--base CHECKOUT]
                                          [--granian] [--rounds 3] [--duration 5] [--connections 4]

bench/peer.py drives single posts from 4 Python threads, which cost the 2-core machine about as
much CPU as the server they measure. Here `wrk` (Debian's package) sends them, and each round
measures, one after another on the same machine:

- a bare waitress app answering a constant (the HTTP server's own floor),
- the ingest server's no-op `GET /` and `POST /ez` form posts, with the server's CPU per request
  and, on MariaDB, mariadbd's CPU, commits and InnoDB fsyncs per post (Com_commit counts COMMIT
  statements only: a commit made by an autocommit statement shows in the fsyncs alone),
- with --base, the same against an ingest server running the code in CHECKOUT (e.g. of main) on
  the same database, rounds alternating,
- with --granian, the same against this code's ingest server under granian (serve --server
  granian), on the same database, in the same rounds,
- one post after a 20 ms pause, p50 of 50 (an idle machine: each wake-up costs).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import proc_cpu  # noqa: E402
from peer import Eyrie, base_server  # noqa: E402

from tests.support.mariadb import free_port  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

BARE = textwrap.dedent("""
    import logging, sys, waitress
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
""")


def wrk(url: str, args, script: Path | None = None) -> tuple[int, float]:
    """(requests, seconds) of one wrk run; non-2xx answers count as a failed bench."""
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s"]
    cmd += ["-s", str(script)] if script else []
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw non-2xx answers:\n{out}")
    line = next(x for x in out.splitlines() if "requests in" in x)  # "40123 requests in 5.00s, 4.5MB read"
    n, span = line.split()[0], line.split(" in ")[1].split(",")[0]
    for unit, scale in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0), ("m", 60.0)):
        if span.endswith(unit):
            return int(n), float(span[: -len(unit)]) * scale
    raise SystemExit(f"cannot read wrk's duration: {line}")


def measure(url: str, pid: int, args, script: Path | None = None, db=None, dbpid=None) -> dict:
    before = _db_status(db) if db is not None else None
    c0, d0 = proc_cpu(pid), proc_cpu(dbpid)
    n, secs = wrk(url, args, script)
    out = {"rate": n / secs, "us": (proc_cpu(pid) - c0) * 1e6 / n}
    if before is not None:
        after = _db_status(db)
        out["db_us"] = (proc_cpu(dbpid) - d0) * 1e6 / n
        out["commits"] = (after["Com_commit"] - before["Com_commit"]) / n
        out["fsyncs"] = (after["Innodb_data_fsyncs"] - before["Innodb_data_fsyncs"]) / n
    return out


def _db_status(db) -> dict[str, int]:
    rows = db.read(lambda tx: tx.all("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_commit', 'Innodb_data_fsyncs')"))
    return {r["Variable_name"]: int(r["Value"]) for r in rows}


def post_after_pause(port: int, body: bytes, n: int = 50) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    ts = []
    for _ in range(n):
        time.sleep(0.02)
        t0 = time.perf_counter()
        conn.request("POST", "/ez", body=body, headers=form)
        conn.getresponse().read()
        ts.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return statistics.median(ts)


def fmt(r: dict) -> str:
    s = f"{r['rate']:,.0f}/s at {r['us']:.0f} us"
    if "db_us" in r:
        s += f" (mariadbd {r['db_us']:.0f} us, {r['commits']:.2f} commits and {r['fsyncs']:.2f} fsyncs per post)"
    return s


def bench_backend(backend: str, args, workdir: Path) -> None:
    e = Eyrie(backend, workdir / backend, args).start("eyrie_singles")
    servers = [("this", e.server)]
    base = granian = None
    if args.granian:
        granian = EyrieServer(e.url, str(workdir / f"var-granian-{backend}"), role="ingest", server="granian").start()
        servers.append(("granian", granian))
    if args.base:
        base = base_server(e.url, workdir / f"var-base-{backend}", Path(args.base).resolve())
        servers.append(("base", base))
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, "-c", BARE, str(bare_port)])
    db = e.db if backend == "mariadb" else None
    dbpid = e.mdb.proc.pid if e.mdb is not None else None
    try:
        ezkey, _ = e.account()
        body = f"ezkey={ezkey.replace('@', '%40')}&stat=bench+wrk&count=1".encode()
        script = workdir / f"post-{backend}.lua"
        script.write_text(f'wrk.method = "POST"\nwrk.body = "{body.decode()}"\n'
                          'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        time.sleep(0.5)
        for _, s in servers:  # create the stat, warm the caches
            post_after_pause(s.port, body, n=3)
        for r in range(args.rounds):
            bare_r = measure(f"http://127.0.0.1:{bare_port}/", bare.pid, args)
            print(f"[{backend}] round {r + 1} (load {os.getloadavg()[0]:.2f}): bare waitress {fmt(bare_r)}", flush=True)
            for name, s in servers:
                noop = measure(f"http://127.0.0.1:{s.port}/", s.app_pid, args)
                post = measure(f"http://127.0.0.1:{s.port}/ez", s.app_pid, args, script, db, dbpid)
                lat = post_after_pause(s.port, body)
                print(f"[{backend}]   {name}: no-op {fmt(noop)}; posts {fmt(post)} = {post['rate'] / noop['rate']:.0%}"
                      f" of the no-op; a post after a 20 ms pause p50 {lat:.2f} ms", flush=True)
    finally:
        bare.terminate()
        bare.wait()
        for s in (base, granian):
            if s is not None:
                s.stop()
        e.stop()
        e.destroy()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=("sqlite", "mariadb", "both"), default="both")
    p.add_argument("--base", help="also measure an ingest server running the code in this checkout")
    p.add_argument("--granian", action="store_true", help="also this code's ingest server under granian")
    p.set_defaults(server="waitress")  # the main server under test (peer.Eyrie reads it)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    p.add_argument("--connections", type=int, default=4)
    args = p.parse_args(argv)
    args.cpu, args.server = None, "waitress"  # what bench/peer.py's Eyrie reads: no pinning, waitress
    with tempfile.TemporaryDirectory(prefix="eyrie-singles-") as tmp:
        for backend in (("sqlite", "mariadb") if args.backend == "both" else (args.backend,)):
            bench_backend(backend, args, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
