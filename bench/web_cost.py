"""What one web answer costs in-process: the apps called as WSGI, no HTTP server, no client.

    .venv/bin/python bench/web_cost.py [--ab-root <another checkout>] [--rounds 3] [--n 2000]

Per request, median wall microseconds (one thread, so wall is CPU) of: the ingest no-op (`GET /`),
`/healthz`, a static file, and the export API's hour of minutes for one stat (`/x/TOKEN/data/ID?t=1h1m`,
StatHat's read, the one bench-peer's "post until readable" polls), on a fresh SQLite database.
With --ab-root the same runs for the code in that checkout, alternating round by round, each tree in
a process of its own: only same-sitting ratios mean anything on these machines.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ("ingest no-op", "healthz", "static file", "export hour")


def _measure(n: int) -> dict[str, float]:
    """Runs inside the tree under test (sys.path[0] is its root)."""
    from app.interactors.accounts import create_account
    from app.storage import accounts as aq
    from app.storage.db import Database
    from app.storage.migrate import migrate

    work = Path(tempfile.mkdtemp(prefix="eyrie-webcost-"))
    url = f"sqlite:///{work}/eyrie.db"
    os.environ.update(EYRIE_DATABASE_URL=url, EYRIE_SECRET_KEY="b" * 32)
    db = Database(url)
    migrate(db)
    now = int(time.time())
    acc = create_account(db, "cost@example.com", "bench-password", now)
    db.run(lambda tx: aq.insert_token(tx, acc.id, "costtoken", "bench", now))
    from app.wsgi import create_app

    ingest, web = create_app("ingest"), create_app("web")

    def call(app, path, qs="", method="GET", body=b""):
        env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": qs, "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
               "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "wsgi.errors": sys.stderr, "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": "application/x-www-form-urlencoded"}
        status = []
        b"".join(app(env, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("200"), (path, status)

    t = now - now % 60
    call(ingest, "/ez", method="POST", body=f"ezkey=cost@example.com&stat=cost&count=1&t={t}".encode())
    sid = db.read(lambda tx: tx.scalar("SELECT id FROM stats WHERE account_id = ? AND name = ?", (acc.id, "cost")))
    cases = {"ingest no-op": (ingest, "/", ""), "healthz": (web, "/healthz", ""),
             "static file": (web, "/static/favicon.svg", ""),
             "export hour": (web, f"/x/costtoken/data/{sid}", "t=1h1m")}
    out = {}
    for name in CASES:
        app, path, qs = cases[name]
        for _ in range(n // 10):
            call(app, path, qs)
        t0 = time.perf_counter()
        for _ in range(n):
            call(app, path, qs)
        out[name] = (time.perf_counter() - t0) / n * 1e6
    db.close()
    return out


def _run(tree: Path, n: int) -> dict[str, float]:
    code = (f"import sys, json; sys.path.insert(0, {str(tree)!r}); sys.path.insert(1, {str(ROOT / 'bench')!r});"
            f" import web_cost; print(json.dumps(web_cost._measure({n})))")
    res = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ab-root", help="also measure the code in this checkout, alternating")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--n", type=int, default=2000, help="timed requests per case and round")
    args = p.parse_args(argv)
    trees = {"this": ROOT} | ({"base": Path(args.ab_root).resolve()} if args.ab_root else {})
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    print(f"bench/web_cost.py {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.2f}")
    for r in range(args.rounds):
        for label, tree in (trees.items() if r % 2 == 0 else reversed(trees.items())):
            runs[label].append(_run(tree, args.n))
            print(f"  round {r + 1} {label}: " + ", ".join(f"{c} {runs[label][-1][c]:.0f} us" for c in CASES),
                  flush=True)
    print(f"{'us per request, median of rounds':<34}" + "".join(f"{k:>12}" for k in trees)
          + ("       ratio" if len(trees) == 2 else ""))
    for c in CASES:
        med = {k: statistics.median(x[c] for x in runs[k]) for k in trees}
        ratio = f"{med['this'] / med['base']:>11.2f}x" if "base" in med else ""
        print(f"{c:<34}" + "".join(f"{med[k]:>12.0f}" for k in trees) + ratio)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
