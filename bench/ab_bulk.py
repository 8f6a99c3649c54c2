"""Bulk JSON ingest A/B: this checkout against another one, on one throwaway MariaDB, one sitting.

    .venv/bin/python bench/ab_bulk.py --base /path/to/a/checkout [--stats 10000] [--points 10]
        [--rounds 3] [--warm] [--backend mariadb|sqlite]

Two ingest servers (this code, and the code at --base) on the same database; rounds alternate
between them so the machine's drifting load falls on both. Cold (the default): a fresh account per
round, so every stat is created by the first request; --warm: each side's first account again, the
same minutes re-sent. Prints the median points/s and server CPU per point of each side, and the
ratio. Same workload shape as bench/peer.py (time-major, 1,000 points per request, 4 clients).
--own-databases gives each side a database of its own, migrated by its own code (for a change of
schema; the same MariaDB server or the same folder for SQLite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import proc_cpu  # noqa: E402
from peer import bodies_for, send_bulk  # noqa: E402

import tests.support.server as srv  # noqa: E402
from app.interactors.accounts import create_account  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from tests.support.mariadb import MariaDB  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="a checkout of the code to compare with")
    p.add_argument("--stats", type=int, default=10000)
    p.add_argument("--points", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warm", action="store_true")
    p.add_argument("--backend", choices=("mariadb", "sqlite"), default="mariadb")
    p.add_argument("--own-databases", action="store_true", help="one database per side (a schema A/B)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="eyrie-ab-bulk-"))
    mdb = None
    if args.backend == "mariadb":
        (work / "mariadb").mkdir()
        mdb = MariaDB(base=str(work / "mariadb")).start()
        url = mdb.create_database("ab")
        base_url = mdb.create_database("ab_base") if args.own_databases else url
    else:
        url = f"sqlite:///{work / 'eyrie.db'}"
        base_url = f"sqlite:///{work / 'base.db'}" if args.own_databases else url
    db = Database(url)
    migrate(db)
    dbs = {"this": db, "base": db}
    if base_url != url:
        subprocess.run([sys.executable, "-m", "app", "db", "migrate"], cwd=Path(args.base).resolve(), check=True,
                       env={**os.environ, "EYRIE_DATABASE_URL": base_url}, stdout=subprocess.DEVNULL)
        dbs["base"] = Database(base_url)
    this = EyrieServer(url, str(work / "var-this"), role="ingest").start()
    saved, srv.ROOT = srv.ROOT, Path(args.base).resolve()
    try:
        base = EyrieServer(base_url, str(work / "var-base"), role="ingest").start()
    finally:
        srv.ROOT = saved
    now = int(time.time())
    end = now - now % 60 - 60
    first = end - (args.points - 1) * 60
    names = [f"bench.ingest.m{m:05d}" for m in range(args.stats)]
    points = args.stats * args.points
    sides = {"this": this, "base": base}
    first_key: dict[str, str] = {}
    out: dict[str, list[tuple[float, float]]] = {"this": [], "base": []}
    n = 0
    try:
        for r in range(args.rounds + (1 if args.warm else 0)):
            for name, server in sides.items():
                n += 1
                if args.warm and name in first_key:
                    ezkey = first_key[name]
                else:
                    ezkey = create_account(dbs[name], f"ab{n}-{name}@example.com", "bench-password", now).ezkey
                    first_key.setdefault(name, ezkey)
                bodies = bodies_for(ezkey, names, args.points, first, 1000 * n)
                c0 = proc_cpu(server.proc.pid)
                sent = send_bulk(server.port, bodies)
                cpu = proc_cpu(server.proc.pid) - c0
                if args.warm and r == 0:
                    continue   # the warm-up round creates the stats
                out[name].append((points / sent["elapsed"], cpu * 1e6 / points))
    finally:
        this.stop()
        base.stop()
        for d in set(dbs.values()):
            d.close()
        if mdb is not None:
            mdb.destroy()
    med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in out.items()}
    mode = "warm" if args.warm else "cold"
    for k, (pps, us) in med.items():
        print(f"{k:<5} {args.stats}x{args.points} {mode} [{args.backend}]: {pps:,.0f} points/s (median of"
              f" {[round(x[0]) for x in out[k]]}), {us:.1f} us CPU per point")
    print(f"this / base: {med['this'][0] / med['base'][0]:.2f}x points/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
