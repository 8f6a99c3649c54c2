"""Stat page speed: the graph fragment for a stat with a year of minute data vs one with a week.

Run by hand (loopback only; makes and removes its own SQLite file, and with --mariadb its own
throwaway MariaDB):

    .venv/bin/python bench/render.py [--mariadb] [--requests 100] [--kind counter|value]
                                     [--neighbours 1000]

For each backend:
  1. an account and two stats, filled through the ingest path: the `record_ez` interactor
     (app.interactors.ingest, bulk=True, 20,000 items per call, as the JSON bulk endpoint does):
     "bench year" holds ONE YEAR of one-minute data (525,600 points) and "bench week" ONE WEEK
     (10,080 points), both ending now. Minute retention (31 days) is a worker job, so every minute
     row exists here: the point of the comparison is that a long history costs nothing extra;
  2. the web app as production runs it: `python -m app serve --role web` (waitress, 4 threads) in a
     subprocess, and a session signed in through POST /login with the form's CSRF token;
  3. interleaved rounds over one keep-alive connection: each round requests the stat page's graph
     fragment (GET /stats/ID?tf=1d|1w|1y with HX-Request: true: the graph and summary partial that a
     timeframe switch swaps in) for both stats, plus the no-op baseline GET /static/favicon.svg (a
     static file from the same server: no session, no database);
and prints p50 / p90 per request kind and the ratios against their targets:
  1w fragment p50 <= 15 ms; 1y / 1w p50 <= 1.2 (per stat); year-stat / week-stat p50 within +-20%
  per timeframe. Machines are noisy: compare ratios from one run, not absolute numbers across runs.

--neighbours K writes the week stat as live traffic does, time-major beside K other stats (each
call holds whole minutes of all K+1), so its rows lie apart in insertion order: the read side of a
storage layout that keeps rows in the order they came (SQLite's rowid rollups, migration 0010).

The table also says how many buckets of each graph hold data (current period / previous period): the
week stat's 1w graph has no previous week and its 1y graph has a week of data in 183 buckets, so for
those two timeframes year-stat / week-stat also measures drawing more, not only reading a longer history.
1d is the like-for-like comparison (both stats fill the day and the day before).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.interactors.accounts import create_account  # noqa: E402
from app.interactors.ingest import EzItem, record_ez  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-password"
CHUNK = 20_000
TIMEFRAMES = ("1d", "1w", "1y", "1w&compare=0")
# History size may only change cost where both stats draw the same data: 1d (both have two full
# days) and 1w without its comparison line (the week stat has no previous week to draw). At 1w with
# comparison and at 1y the week stat simply draws less (see "buckets with data"), so those ratios
# are printed for information, not judged.
FAIR = ("1d", "1w&compare=0")
TARGET_1W_MS, TARGET_Y_OVER_W, TARGET_HISTORY = 15.0, 1.2, 0.20


def minute_items(name: str, kind: str, start: int, end: int):
    """One datum per minute with a daily wave, so every graph has a shape."""
    for t in range(start, end, 60):
        hour = (t % 86400) / 3600
        x = 50 + 40 * math.sin((hour - 8) / 24 * 2 * math.pi) + (t // 60) % 7
        yield EzItem(stat=name, count=round(x), t=t) if kind == "counter" else EzItem(stat=name, value=x, t=t)


def interleaved(name: str, kind: str, start: int, end: int, neighbours: int):
    """minute_items of name and of neighbours other stats, a minute of all of them at a time."""
    streams = [minute_items(n, kind, start, end) for n in [name] + [f"bench n{i:04d}" for i in range(neighbours)]]
    for items in zip(*streams):
        yield from items


def fill(db, kind: str, now: int, neighbours: int = 0) -> dict[str, float]:
    create_account(db, EMAIL, PASSWORD, now)
    end = now - now % 60 + 60
    spent = {}
    for name, days in (("bench year", 365), ("bench week", 7)):
        t0 = time.perf_counter()
        batch: list[EzItem] = []
        items = minute_items(name, kind, end - days * 86400, end) if name == "bench year" or not neighbours \
            else interleaved(name, kind, end - days * 86400, end, neighbours)
        for item in items:
            batch.append(item)
            if len(batch) == CHUNK:
                record_ez(db, EMAIL, batch, now, bulk=True)
                batch = []
        if batch:
            record_ez(db, EMAIL, batch, now, bulk=True)
        spent[name] = time.perf_counter() - t0
        beside = f" beside {neighbours} stats, time-major" if name == "bench week" and neighbours else ""
        print(f"  {name}: {days * 1440:,} minute points{beside} through record_ez in {spent[name]:.1f} s",
              flush=True)
    return spent


class Client:
    """One keep-alive HTTP/1.1 connection with a cookie jar of one cookie."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        data = None
        if body is not None:
            data = urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=h)
        resp = self.conn.getresponse()
        payload = resp.read()
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie" and v.startswith("eyrie_session="):
                self.cookie = v.split(";", 1)[0]
        return resp.status, payload

    def login(self) -> None:
        status, html = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()
        status, _ = self.request("POST", "/login", {"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        assert status == 302, f"login failed: {status}"


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def measure(port: int, ids: dict[str, int], n: int) -> dict[str, list[float]]:
    c = Client(port)
    c.login()
    kinds = [("no-op /static/favicon.svg", "/static/favicon.svg", {})]
    for name, sid in ids.items():
        for tf in TIMEFRAMES:
            kinds.append((f"{name} {tf}", f"/stats/{sid}?tf={tf}", {"HX-Request": "true"}))
    for label, path, headers in kinds:   # warm up: templates, connections, caches
        for _ in range(5):
            status, body = c.request("GET", path, headers=headers)
            assert status == 200, (label, status, body[:300])
        if "HX-Request" in headers:
            assert body.startswith(b'<div id="stat-view"') and b"<html" not in body, label
    drawn = {}
    for label, path, _ in kinds[1:]:   # what each graph holds: buckets with data, now and before
        _, body = c.request("GET", path, headers={"Accept": "application/json"})
        view = json.loads(body)
        drawn[label] = (sum(1 for p in view["points"] if p["count"]),
                        sum(1 for p in view["previous"] or [] if p["count"]), len(view["points"]))
    times: dict[str, list[float]] = {label: [] for label, _, _ in kinds}
    for _ in range(n):   # interleaved, so a noisy second hurts every kind alike
        for label, path, headers in kinds:
            t0 = time.perf_counter()
            status, _ = c.request("GET", path, headers=headers)
            times[label].append((time.perf_counter() - t0) * 1000)
            assert status == 200
    return times, drawn


def run(backend: str, url: str, var_dir: Path, kind: str, n: int, neighbours: int = 0) -> dict:
    print(f"\n== {backend} ==", flush=True)
    db = Database(url)
    migrate(db)
    now = int(time.time())
    fill(db, kind, now, neighbours)
    ids = {}
    for name in ("bench year", "bench week"):
        ids[name] = db.read(lambda tx, name=name: tx.scalar("SELECT id FROM stats WHERE name = ?", (name,)))
    rows = db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM rollups"))
    print(f"  rollup rows: {rows:,}", flush=True)
    db.close()
    server = EyrieServer(url, str(var_dir), role="web", threads=4).start()
    try:
        times, drawn = measure(server.port, ids, n)
    finally:
        server.stop()
    return report(backend, times, drawn, n)


def report(backend: str, times: dict[str, list[float]], drawn: dict, n: int) -> dict:
    p50 = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n  {backend}: {n} requests each, interleaved; graph fragment = GET /stats/ID?tf=.. with HX-Request")
    print(f"  {'request':<30}{'p50 ms':>9}{'p90 ms':>9}{'minus no-op':>13}   buckets with data: now / before / all")
    base = p50["no-op /static/favicon.svg"]
    for k, v in times.items():
        d = "   {:>4} / {:>4} / {:>4}".format(*drawn[k]) if k in drawn else ""
        print(f"  {k:<30}{p50[k]:>9.2f}{pct(v, 90):>9.2f}{p50[k] - base:>13.2f}{d}")
    ok = True
    print("\n  ratio                                   value   target")
    for stat in ("bench year", "bench week"):
        w = p50[f"{stat} 1w"]
        good = w <= TARGET_1W_MS
        ok &= good
        print(f"  {stat} 1w p50 (ms)                {w:>10.2f}   <= {TARGET_1W_MS:g}  {'ok' if good else 'MISSED'}")
    for stat in ("bench year", "bench week"):
        r = p50[f"{stat} 1y"] / p50[f"{stat} 1w"]
        good = r <= TARGET_Y_OVER_W
        ok &= good
        print(f"  {stat} 1y / 1w                  {r:>10.2f}   <= {TARGET_Y_OVER_W:g}  {'ok' if good else 'MISSED'}")
    for tf in TIMEFRAMES:
        r = p50[f"bench year {tf}"] / p50[f"bench week {tf}"]
        if tf in FAIR:
            good = abs(r - 1) <= TARGET_HISTORY
            ok &= good
            verdict = "ok" if good else "MISSED"
        else:
            verdict = "(info: different data drawn)"
        print(f"  year-stat / week-stat {tf:<14}{r:>10.2f}   1 +- {TARGET_HISTORY:g}  {verdict}")
    return {"p50": p50, "ok": ok}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mariadb", action="store_true", help="also run against a throwaway MariaDB")
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--kind", choices=("counter", "value"), default="counter")
    ap.add_argument("--neighbours", type=int, default=0, help="write the week stat time-major beside K stats")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="eyrie-bench-render-"))
    results = []
    started = time.perf_counter()
    try:
        results.append(run("sqlite", f"sqlite:///{tmp / 'bench.db'}", tmp / "var-sqlite", args.kind, args.requests,
                           args.neighbours))
        if args.mariadb:
            from tests.support.mariadb import MariaDB

            server = MariaDB().start()
            try:
                results.append(run("mariadb", server.create_database("bench_render"), tmp / "var-mariadb",
                                   args.kind, args.requests, args.neighbours))
            finally:
                server.destroy()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    met = all(r["ok"] for r in results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; {'all targets met' if met else 'some targets missed'}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
