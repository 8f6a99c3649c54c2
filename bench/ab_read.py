"""The export API's data read A/B: this checkout against another one, one database, one sitting.

    .venv/bin/python bench/ab_read.py --base /path/to/a/checkout [--backend mariadb|sqlite]
        [--server granian|waitress] [--cpu 1] [--rounds 4] [--n 100]

Two web-role servers (this code, and the code at --base) over the same database, holding one stat
with a point a minute for the last two hours. The read is bench-peer's poll: `GET
/x/<token>/data/<id>?t=1h1m`, on a keep-alive connection. Rounds alternate between the two; each
round times n reads after a 20 ms pause (bench-peer's) and then reads back to back for a second.
Prints, per side, each round's median after the pause and reads/s, and the ratios of the medians.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import _start_mariadb  # noqa: E402

import tests.support.server as srv  # noqa: E402
from app.interactors.accounts import create_account  # noqa: E402
from app.interactors.ingest import EzItem, record_ez  # noqa: E402
from app.serving import SERVERS, THREADS  # noqa: E402
from app.storage import accounts as aq  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from tests.support.mariadb import MariaDB  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

TOKEN = "abreadtoken"


def stat_to_read(url: str, email: str, token: str):
    """A migrated database at url with one account (email) and its stat "read", a point a minute
    for the last two hours, and an access token: what bench-peer's latency rounds poll.
    Returns (db, the account, the stat's id, now)."""
    db = Database(url)
    migrate(db)
    now = int(time.time())
    acc = create_account(db, email, "bench-password", now)
    record_ez(db, acc.ezkey, [EzItem(stat="read", count=1, t=now - k * 60) for k in range(120)], now, bulk=True)
    stat_id = db.read(lambda tx: tx.scalar("SELECT id FROM stats WHERE account_id = ?", (acc.id,)))
    db.run(lambda tx: aq.insert_token(tx, acc.id, token, "bench", now))
    return db, acc, stat_id, now


def web_server(url: str, var: Path, root: Path, server: str, env: dict) -> EyrieServer:
    saved, srv.ROOT = srv.ROOT, root
    try:
        return EyrieServer(url, str(var), role="web", server=server, env=env, threads=THREADS[server]).start()
    finally:
        srv.ROOT = saved


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="a checkout of the code to compare with")
    p.add_argument("--backend", choices=("mariadb", "sqlite"), default="mariadb")
    p.add_argument("--server", choices=SERVERS, default="granian")
    p.add_argument("--cpu", default="1", help="EYRIE_CPU for both servers ('' for none)")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--n", type=int, default=100, help="reads after a pause per round")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="eyrie-ab-read-", dir="/tmp"))
    mdb = None
    if args.backend == "mariadb":
        mdb = _start_mariadb(MariaDB, work)
        url = mdb.create_database("ab_read")
    else:
        url = f"sqlite:///{work}/eyrie.db"
    db, _, stat_id, _ = stat_to_read(url, "read@example.com", TOKEN)
    db.close()
    env = {"EYRIE_CPU": args.cpu} if args.cpu else {}
    sides = {"this": web_server(url, work / "this", ROOT, args.server, env),
             "base": web_server(url, work / "base", Path(args.base).resolve(), args.server, env)}
    path = f"/x/{TOKEN}/data/{stat_id}?t=1h1m"
    try:
        conns = {k: http.client.HTTPConnection("127.0.0.1", s.port) for k, s in sides.items()}

        def read(c: http.client.HTTPConnection) -> float:
            t0 = time.perf_counter()
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            if r.status != 200 or b'"count":1' not in body:
                raise RuntimeError(f"{r.status}: {body[:200]!r}")
            return (time.perf_counter() - t0) * 1000

        for c in conns.values():
            for _ in range(50):
                read(c)
        paused: dict[str, list[float]] = {k: [] for k in conns}
        rates: dict[str, list[float]] = {k: [] for k in conns}
        for _ in range(args.rounds):
            for k, c in conns.items():
                times = []
                for _ in range(args.n):
                    time.sleep(0.02)
                    times.append(read(c))
                paused[k].append(statistics.median(times))
                t0, n = time.perf_counter(), 0
                while time.perf_counter() - t0 < 1.0:
                    read(c)
                    n += 1
                rates[k].append(n / (time.perf_counter() - t0))
        print(f"export read t=1h1m, {args.backend}, {args.server}, EYRIE_CPU={args.cpu or '-'}; this {ROOT}, "
              f"base {args.base}")
        for k in conns:
            print(f"  {k}: after 20 ms p50 per round " + " ".join(f"{x:.3f}" for x in paused[k]) + " ms;"
                  " back to back " + " ".join(f"{x:,.0f}" for x in rates[k]) + " reads/s")
        ratio_p = statistics.median(paused["this"]) / statistics.median(paused["base"])
        ratio_r = statistics.median(rates["this"]) / statistics.median(rates["base"])
        print(f"  this/base: latency after the pause {ratio_p:.2f}x, reads/s back to back {ratio_r:.2f}x")
    finally:
        for s in sides.values():
            s.stop()
        if mdb is not None:
            mdb.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
