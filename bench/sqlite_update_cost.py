"""What a warm minute costs SQLite: Eyrie's upsert of 1,000 stats' minute rows per commit, into
rows that are new (cold) or already stored (warm: re-sent minutes, the current minute of a live
stat), on the schema Eyrie uses (WITHOUT ROWID, the key clustered) and on a rowid table with a
unique index, in one sitting.

    .venv/bin/python bench/sqlite_update_cost.py [--rounds 100] [--repeat 2] [--sync FULL|OFF]

Prints the CPU per row of each (schema, cold/warm) cell, rounds alternating, and per row read back
(a stat's minutes, as a graph reads them: on the rowid table one more lookup per row). Why it is here: the
bench-peer warm cells are Eyrie's weakest (bench/README.md), and this isolates the database's part.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.storage.points import _SQLITE_UPSERT  # noqa: E402

COLUMNS = "stat_id INTEGER NOT NULL, res INTEGER NOT NULL, ts BIGINT NOT NULL, total DOUBLE NOT NULL, " \
          "n BIGINT NOT NULL, lo DOUBLE NOT NULL, hi DOUBLE NOT NULL"
SCHEMAS = {
    "WITHOUT ROWID (Eyrie)": f"CREATE TABLE rollups ({COLUMNS}, PRIMARY KEY (stat_id, res, ts)) WITHOUT ROWID",
    "rowid + unique index": f"CREATE TABLE rollups ({COLUMNS}, UNIQUE (stat_id, res, ts))",
}
FIRST_TS = 1_800_000_000


def _connect(folder: str, schema: str, sync: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{folder}/rollups.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={sync}")
    conn.execute(schema)
    return conn


def _round(conn: sqlite3.Connection, first_stat: int, minutes: int) -> float:
    """CPU seconds per row: minutes commits of 1,000 stats' rows each, time-major like bench-peer."""
    t0 = time.process_time()
    for j in range(minutes):
        rows = [(first_stat + s, 60, FIRST_TS + 60 * j, 1.0, 1, 1.0, 1.0) for s in range(1000)]
        conn.execute("BEGIN")
        conn.executemany(_SQLITE_UPSERT, rows)
        conn.execute("COMMIT")
    return (time.process_time() - t0) / (minutes * 1000)


def _reads(conn: sqlite3.Connection, first_stat: int, minutes: int, reads: int = 2000) -> float:
    """CPU seconds per row read: a stat's minute rows, as a graph of its minutes reads them."""
    sql = "SELECT ts, total, n, lo, hi FROM rollups WHERE stat_id = ? AND res = 60 AND ts >= ? AND ts < ? ORDER BY ts"
    t0 = time.process_time()
    rows = 0
    for i in range(reads):
        rows += len(conn.execute(sql, (first_stat + i % 1000, FIRST_TS, FIRST_TS + 60 * minutes)).fetchall())
    return (time.process_time() - t0) / rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=100, help="commits (minutes) per cell")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--sync", choices=["FULL", "OFF"], default="FULL")
    args = p.parse_args()
    print(f"sqlite {sqlite3.sqlite_version}, synchronous={args.sync}, {args.rounds} commits of 1,000 rows per cell")
    with tempfile.TemporaryDirectory() as tmp:
        conns = {}
        for i, (name, schema) in enumerate(SCHEMAS.items()):
            Path(tmp, str(i)).mkdir()
            conns[name] = _connect(str(Path(tmp, str(i))), schema, args.sync)
        cells: dict[tuple[str, str], list[float]] = {}
        for r in range(args.repeat):
            for name, conn in conns.items():
                first = 10_000 * (r + 1)
                cells.setdefault((name, "cold"), []).append(_round(conn, first, args.rounds))
                cells.setdefault((name, "warm"), []).append(_round(conn, first, args.rounds))
                cells.setdefault((name, "read"), []).append(_reads(conn, first, args.rounds))
        for name in conns:
            cold, warm, read = (min(cells[(name, k)]) for k in ("cold", "warm", "read"))
            print(f"{name:24s} cold {cold * 1e6:5.2f} us/row   warm {warm * 1e6:5.2f} us/row"
                  f"   warm/cold {warm / cold:.2f}   read {read * 1e6:5.2f} us/row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
