"""Embed speed: cached embed requests/s against the same server's no-op, and uncached render times.

Run by hand (loopback only; makes and removes its own SQLite file, and with --mariadb its own
throwaway MariaDB):

    .venv/bin/python bench/embed.py [--mariadb] [--duration 5] [--clients 8] [--renders 30]

For each backend:
  1. one account and one counter stat holding ONE WEEK of one-minute data (10,080 points, ending now),
     filled with the `record_ez` interactor as the JSON bulk endpoint does;
  2. the web app as production runs it: `python -m app serve --role web` (waitress, 8 threads) in a
     subprocess (tests/support/server.py);
  3. rates, from --clients threads, each with its own keep-alive connection, for --duration seconds in
     total, in two alternating halves so a noisy second hurts both alike:
       (a) cached embed: the same SVG URL over and over, GET /embed/graph/KEY.svg?w=500&h=200&tf=week_compare
           (the key lookup + data fingerprint query, then the render cache: nothing is drawn);
       (b) no-op: GET /static/favicon.svg on the same server (a static file: no database);
     target (a)/(b) >= 80%;
  4. uncached render time: for 1d, 1w and 1M (with the previous period dashed: tf=day_compare,
     week_compare, month_compare), --renders sequential requests each over one connection, every one
     with a different `title=` (the title is part of the cache key and the ETag, so each request misses
     the render cache and draws; the data read is the same as for any other title). p50 / p90 printed,
     and the cached request's p50 beside them.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.interactors.accounts import create_account  # noqa: E402
from app.interactors.ingest import record_ez  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from bench.ingest import run_rate  # noqa: E402
from bench.render import CHUNK, minute_items, pct  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

EMAIL, PASSWORD = "bench-embed@example.com", "bench-password"
TARGET = 0.80
UNCACHED = (("1d", "day_compare"), ("1w", "week_compare"), ("1M", "month_compare"))


def fill(db, now: int) -> str:
    create_account(db, EMAIL, PASSWORD, now)
    end = now - now % 60 + 60
    batch = []
    for item in minute_items("bench embed", "counter", end - 7 * 86400, end):
        batch.append(item)
        if len(batch) == CHUNK:
            record_ez(db, EMAIL, batch, now, bulk=True)
            batch = []
    if batch:
        record_ez(db, EMAIL, batch, now, bulk=True)
    return db.read(lambda tx: tx.scalar("SELECT embed_key FROM stats WHERE name = 'bench embed'"))


def timed(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, bytes]:
    t0 = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return (time.perf_counter() - t0) * 1000, resp.status, body


def measure(port: int, key: str, args) -> dict:
    cached = f"/embed/graph/{key}.svg?w=500&h=200&tf=week_compare"
    noop = "/static/favicon.svg"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for path in (cached, noop):   # warm up: the render cache, templates, connections
        for _ in range(5):
            _, status, body = timed(conn, path)
            assert status == 200, (path, status, body[:300])
    assert b"<svg" in body or path == noop
    rates = {"cached": [], "noop": []}
    half = args.duration / 2
    for _ in range(2):
        for label, path in (("cached", cached), ("noop", noop)):
            r = run_rate(port, "GET", path, None, {}, 200, args.clients, half)
            assert not r["errors"] and not r["bad"], r["errors"]
            rates[label].append(r)
    out = {label: sum(r["ok"] for r in rs) / sum(r["elapsed"] for r in rs) for label, rs in rates.items()}
    times = {"cached": [timed(conn, cached)[0] for _ in range(args.renders)]}
    n = 0
    for code, tf in UNCACHED:
        times[code] = []
        for _ in range(args.renders):
            n += 1
            ms, status, body = timed(conn, f"/embed/graph/{key}.svg?w=500&h=200&tf={tf}&title=bench+{n}")
            assert status == 200 and b"<svg" in body, (status, body[:200])
            times[code].append(ms)
    conn.close()
    return {"rates": out, "times": times}


def run(backend: str, url: str, var_dir: Path, args) -> dict:
    print(f"\n== {backend} ==", flush=True)
    db = Database(url)
    migrate(db)
    t0 = time.perf_counter()
    key = fill(db, int(time.time()))
    print(f"  10,080 minute points through record_ez in {time.perf_counter() - t0:.1f} s", flush=True)
    db.close()
    server = EyrieServer(url, str(var_dir), role="web", threads=8).start()
    try:
        result = measure(server.port, key, args)
    finally:
        server.stop()
    return report(backend, result, args)


def report(backend: str, result: dict, args) -> dict:
    rates, times = result["rates"], result["times"]
    ratio = rates["cached"] / rates["noop"]
    ok = ratio >= TARGET
    print(f"\n  {backend}: rates from {args.clients} keep-alive clients, {args.duration:g} s per kind (two halves)")
    print(f"  {'request':<52}{'req/s':>10}")
    print(f"  {'(a) cached embed SVG (same URL)':<52}{rates['cached']:>10,.0f}")
    print(f"  {'(b) no-op GET /static/favicon.svg':<52}{rates['noop']:>10,.0f}")
    print(f"  (a)/(b) = {ratio:.0%}   target >= {TARGET:.0%}  {'ok' if ok else 'MISSED'}")
    print(f"\n  one connection, {args.renders} requests each; uncached = a new title= per request")
    print(f"  {'request':<52}{'p50 ms':>9}{'p90 ms':>9}")
    print(f"  {'cached embed SVG (week_compare 500x200)':<52}{statistics.median(times['cached']):>9.2f}"
          f"{pct(times['cached'], 90):>9.2f}")
    for code, tf in UNCACHED:
        v = times[code]
        print(f"  {f'uncached render {code} (tf={tf}, 500x200)':<52}{statistics.median(v):>9.2f}{pct(v, 90):>9.2f}")
    return {"ok": ok}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mariadb", action="store_true", help="also run against a throwaway MariaDB")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per rate kind (two halves)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--renders", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="eyrie-bench-embed-"))
    results = []
    try:
        results.append(run("sqlite", f"sqlite:///{tmp / 'bench.db'}", tmp / "var-sqlite", args))
        if args.mariadb:
            from tests.support.mariadb import MariaDB

            server = MariaDB().start()
            try:
                results.append(run("mariadb", server.create_database("bench_embed"), tmp / "var-mariadb", args))
            finally:
                server.destroy()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    met = all(r["ok"] for r in results)
    print(f"\n{'all targets met' if met else 'some targets missed'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
