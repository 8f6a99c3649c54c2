"""What self-monitoring (EYRIE_SELF_MONITOR) costs the ingest path.

    .venv/bin/python bench/self_monitor.py [--rounds 6] [--seconds 3] [--backend sqlite|mariadb]

Two ingest apps on one database, one plain and one with self-monitoring (its flusher writing every
10 s, the shortest interval allowed, so the flush cost is counted too), take turns (ABAB...) for
--rounds rounds of --seconds each, posting JSON bulk requests of 100 points and single /ez posts
from 4 client threads through the WSGI interface (werkzeug's test client: no sockets, so the
middleware's share is not diluted by network time). Prints each app's median rate and the
overhead; the target is < 2 %. Rates are points per CPU second of the process (SQLite runs in
it), which other load on the machine disturbs far less than wall-clock rates.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.test import Client  # noqa: E402

from app import monitoring  # noqa: E402
from app.config import Config  # noqa: E402
from app.interactors.accounts import create_account  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from app.wsgi import create_app  # noqa: E402


def run(app, ezkey: str, seconds: float, threads: int = 4) -> float:
    """Points per CPU second of this process (request handling, SQLite and the flusher all run in
    it): on a shared machine wall-clock rates swing by 2x between rounds; CPU cost does not."""
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def client(i: int):
        c = Client(app)
        k = 0
        while time.monotonic() < stop:
            if k % 2:
                body = {"ezkey": ezkey, "data": [{"stat": f"bench {i} {j}", "count": 1} for j in range(100)]}
                assert c.post("/ez", json=body, buffered=True).status_code == 200
                counts[i] += 100
            else:
                assert c.post("/ez", data={"ezkey": ezkey, "stat": f"single {i}", "count": "1"},
                              buffered=True).status_code == 204
                counts[i] += 1
            k += 1

    ts = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    c0 = time.process_time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / (time.process_time() - c0)


def per_request_cost(figures) -> tuple[float, float]:
    """Seconds the monitoring adds to one request (the WSGI timer around a no-op app plus one
    hook call), best of 5 runs of 20,000 calls: precise where an A/B of whole requests is noise."""
    from app.monitoring.monitor import RequestTimer

    def noop(environ, start_response):
        start_response("204 No Content", [])
        return []

    timed = RequestTimer(noop, figures)
    environ = {"PATH_INFO": "/ez", "REQUEST_METHOD": "POST"}

    def start_response(status, headers, exc_info=None):
        return None

    def best(app, hook: bool) -> float:
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(20000):
                it = app(environ, start_response)
                if hook:
                    figures.count("points")
                getattr(it, "close", lambda: None)()
            runs.append((time.perf_counter() - t0) / 20000)
        return min(runs)

    monitoring.set_active(figures)
    with_ = best(timed, True)
    monitoring.set_active(None)
    return with_ - best(noop, False), with_


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--backend", choices=("sqlite", "mariadb"), default="sqlite")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="eyrie-bench-monitor-"))
    server = None
    if args.backend == "mariadb":
        from tests.support.mariadb import MariaDB

        server = MariaDB().start()
        url = server.create_database("bench")
    else:
        url = f"sqlite:///{tmp / 'eyrie.db'}?synchronous=normal"
    try:
        db = Database(url)
        migrate(db)
        now = int(time.time())
        load = create_account(db, "load@bench.test", "bench password 1", now)
        mon = create_account(db, "monitor@bench.test", "bench password 1", now)
        config = Config.from_env(env={}, database_url=url, var_dir=tmp / "var", secret_key="bench")
        plain = create_app("ingest", config, db)
        watched = create_app("ingest", dataclasses.replace(config, self_monitor=mon.ezkey, self_monitor_every=10),
                             db)
        monitoring.set_active(None)   # the hooks count only while the monitored app runs
        run(plain, load.ezkey, 1)     # warm-up: creates the stats
        rates: dict[str, list[float]] = {"plain": [], "monitored": []}
        for _ in range(args.rounds):
            rates["plain"].append(run(plain, load.ezkey, args.seconds))
            monitoring.set_active(watched.monitor.figures)
            rates["monitored"].append(run(watched, load.ezkey, args.seconds))
            monitoring.set_active(None)
        # The flush: one bulk write of every figure, timed directly.
        monitoring.set_active(watched.monitor.figures)
        run(watched, load.ezkey, 1)
        t0 = time.perf_counter()
        watched.monitor.flush()
        flush_s = time.perf_counter() - t0
        monitoring.set_active(None)
        watched.monitor.stop()
        extra, _ = per_request_cost(watched.monitor.figures)
        a, b = statistics.median(rates["plain"]), statistics.median(rates["monitored"])
        # Requests per point in this mix: one single post per 101 points, one bulk per 101 points.
        request_s = 101 / (2 * a)                        # CPU seconds per request, from the plain run
        per_req = extra / request_s * 100
        print(f"per request: monitoring adds {extra * 1e6:.1f} us to {request_s * 1e6:.0f} us of work"
              f" = {per_req:.2f} %; a flush takes {flush_s * 1000:.1f} ms per 10-60 s"
              f" = {flush_s / 10 * 100:.2f} % of one core at most")
        print(f"{args.backend}: plain {a:,.0f} points per CPU s, self-monitored {b:,.0f} (medians of "
              f"{args.rounds} x {args.seconds:.0f} s); overhead {(a - b) / a * 100:+.1f} % "
              f"(flushes: {watched.monitor.flushes})")
        print("rounds:", {k: [round(x) for x in v] for k, v in rates.items()})
        db.close()
    finally:
        if server is not None:
            server.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
