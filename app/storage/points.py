"""SQL for rollup rows: the multi-row upsert on the write path and bounded range reads."""

from __future__ import annotations

from app.storage.db import Tx

CHUNK = 1000

_SQLITE_UPSERT = (
    "INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (stat_id, res, ts) DO UPDATE SET total = total + excluded.total,"
    " n = n + excluded.n, lo = MIN(lo, excluded.lo), hi = MAX(hi, excluded.hi)"
)
_MYSQL_UPSERT_TAIL = (
    " ON DUPLICATE KEY UPDATE total = total + VALUES(total), n = n + VALUES(n),"
    " lo = LEAST(lo, VALUES(lo)), hi = GREATEST(hi, VALUES(hi))"
)


def _num(x) -> str:
    # Values were validated as finite numbers; repr() of an int or float is a valid SQL literal.
    return repr(x)


def upsert_rollups(tx: Tx, rows) -> None:
    """rows: (stat_id, res, ts, total, n, lo, hi) tuples, best sorted by key."""
    if tx.dialect == "sqlite":
        tx.executemany(_SQLITE_UPSERT, rows)
        return
    # pymysql escapes every parameter in Python; numbers rendered directly cost a third as much.
    for i in range(0, len(rows), CHUNK):
        values = ",".join(
            f"({int(s)},{int(r)},{int(t)},{_num(float(a))},{int(n)},{_num(float(lo))},{_num(float(hi))})"
            for s, r, t, a, n, lo, hi in rows[i:i + CHUNK]
        )
        tx.execute_raw(
            "INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES " + values + _MYSQL_UPSERT_TAIL
        )


def read_rollups(tx: Tx, stat_id: int, res: int, start: int, end: int) -> list[tuple]:
    """Rows with start <= ts < end at one resolution, as (ts, total, n, lo, hi), oldest first."""
    rows = tx.all(
        "SELECT ts, total, n, lo, hi FROM rollups WHERE stat_id = ? AND res = ? AND ts >= ? AND ts < ?"
        " ORDER BY ts",
        (stat_id, res, start, end),
    )
    return [(r["ts"], r["total"], r["n"], r["lo"], r["hi"]) for r in rows]


def read_rollup_groups(tx: Tx, stat_id: int, res: int, start: int, end: int, origin: int, width: int) -> list[tuple]:
    """Rows with start <= ts < end summed per fixed-width group k = (ts - origin) // width (origin <= start),
    oldest first: (k, total, scaled, n, lo, hi, biggest, rows) with scaled = the sum of total * 2**-64
    and biggest = the largest |total|. The caller reads `scaled` where total may have left the float
    range (MariaDB's SUM then answers 0 without an error)."""
    div = "/" if tx.dialect == "sqlite" else "DIV"   # integer division of integers in both
    rows = tx.all(
        f"SELECT (ts - ?) {div} ? AS k, SUM(total) AS total, SUM(total * ?) AS scaled, SUM(n) AS n,"
        " MIN(lo) AS lo, MAX(hi) AS hi, MAX(ABS(total)) AS biggest, COUNT(*) AS cnt FROM rollups"
        " WHERE stat_id = ? AND res = ? AND ts >= ? AND ts < ? GROUP BY k ORDER BY k",
        (origin, width, 2.0 ** -64, stat_id, res, start, end),
    )
    return [(int(r["k"]), r["total"], r["scaled"], int(r["n"]), r["lo"], r["hi"], r["biggest"], int(r["cnt"]))
            for r in rows]


def last_bucket(tx: Tx, stat_id: int, res: int) -> int | None:
    return tx.scalar("SELECT MAX(ts) FROM rollups WHERE stat_id = ? AND res = ?", (stat_id, res))


def delete_rollups_before(tx: Tx, stat_id: int, res: int, before: int) -> int:
    """Retention: drop one stat's buckets older than `before` at one resolution (a PK range)."""
    return tx.execute("DELETE FROM rollups WHERE stat_id = ? AND res = ? AND ts < ?", (stat_id, res, before))


def delete_stat_rollups(tx: Tx, stat_ids: list[int]) -> None:
    for stat_id in stat_ids:
        tx.execute("DELETE FROM rollups WHERE stat_id = ?", (stat_id,))


def rebuild_days(tx: Tx, stat_id: int, tz: str) -> None:
    """Recompute a stat's day buckets in zone tz from its hour buckets (where those are kept).

    Older day buckets, whose hours retention has dropped, keep their old alignment."""
    from app.rollups import DAY, HOUR, local_day_start

    hours = read_rollups(tx, stat_id, HOUR, 0, 2**62)
    if not hours:
        return
    days: dict[int, list] = {}
    for ts, total, n, lo, hi in hours:
        d = local_day_start(ts, tz)
        row = days.get(d)
        days[d] = [total, n, lo, hi] if row is None else [row[0] + total, row[1] + n, min(row[2], lo),
                                                          max(row[3], hi)]
    # Any old-aligned day that overlaps the kept hours is replaced.
    tx.execute("DELETE FROM rollups WHERE stat_id = ? AND res = ? AND ts > ?", (stat_id, DAY, min(days) - DAY))
    upsert_rollups(tx, [(stat_id, DAY, d, *row) for d, row in sorted(days.items())])


def read_rollups_many(tx: Tx, stat_ids: list[int], res: int, start: int, end: int) -> dict[int, list[tuple]]:
    """Like read_rollups for many stats in one query (the stats list's sparklines)."""
    out: dict[int, list[tuple]] = {i: [] for i in stat_ids}
    for i in range(0, len(stat_ids), 500):
        chunk = stat_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in tx.all(
            f"SELECT stat_id, ts, total, n, lo, hi FROM rollups WHERE stat_id IN ({marks}) AND res = ?"
            " AND ts >= ? AND ts < ? ORDER BY stat_id, ts",
            [*chunk, res, start, end],
        ):
            out[r["stat_id"]].append((r["ts"], r["total"], r["n"], r["lo"], r["hi"]))
    return out


def replace_rollups(tx: Tx, rows) -> None:
    """Imports: set each (stat_id, res, ts) row to the given values, so importing twice leaves
    the same rows (an import owns the buckets it covers). rows as for upsert_rollups."""
    if tx.dialect == "sqlite":
        tx.executemany(
            "INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (stat_id, res, ts) DO UPDATE SET total = excluded.total, n = excluded.n,"
            " lo = excluded.lo, hi = excluded.hi", rows)
        return
    for i in range(0, len(rows), CHUNK):
        values = ",".join(
            f"({int(s)},{int(r)},{int(t)},{_num(float(a))},{int(n)},{_num(float(lo))},{_num(float(hi))})"
            for s, r, t, a, n, lo, hi in rows[i:i + CHUNK]
        )
        tx.execute_raw("INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES " + values
                       + " ON DUPLICATE KEY UPDATE total = VALUES(total), n = VALUES(n), lo = VALUES(lo),"
                         " hi = VALUES(hi)")


def read_rollup_sums(tx: Tx, stat_id: int, res: int, start: int, end: int) -> list[tuple]:
    """(ts, total, n) rows with start <= ts < end, oldest first, as the driver's plain tuples:
    the Graphite API reads up to 10,080 rows per series, where building a dict per row shows."""
    cur = tx.conn.cursor()
    cur.execute(tx._sql("SELECT ts, total, n FROM rollups WHERE stat_id = ? AND res = ? AND ts >= ? AND ts < ?"
                        " ORDER BY ts"), (stat_id, res, start, end))
    rows = cur.fetchall()
    cur.close()
    return rows
