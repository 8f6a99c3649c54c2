"""Reading stored state back for assertions, through the storage layer (never through the API under test)."""

from __future__ import annotations


def stat_row(db, account_id: int, name: str) -> dict | None:
    from app.storage import stats as sq

    return db.read(lambda tx: sq.stat_by_name(tx, account_id, name))


def rollup(db, stat_id: int, res: int, ts: int) -> tuple | None:
    """(total, n, lo, hi) of one bucket as every reader sees it, or None: an hour or a day holds
    its stored row plus the minute rows not folded into it yet (see storage/points.py)."""
    from app.storage import points as pq

    rows = db.read(lambda tx: pq.read_rollups(tx, stat_id, res, ts, ts + 1))
    return None if not rows else tuple(rows[0][1:])


def stored_rollup(db, stat_id: int, res: int, ts: int) -> tuple | None:
    """(total, n, lo, hi) of the row in the table itself, or None (folding tests)."""
    row = db.read(lambda tx: tx.one("SELECT total, n, lo, hi FROM rollups WHERE stat_id = ? AND res = ? AND ts = ?",
                                    (stat_id, res, ts)))
    return None if row is None else (row["total"], row["n"], row["lo"], row["hi"])


def count_rows(db, table: str) -> int:
    return db.read(lambda tx: tx.scalar(f"SELECT COUNT(*) FROM {table}"))


def stat_names(db, account_id: int) -> list[str]:
    return [r["name"] for r in db.read(lambda tx: tx.all("SELECT name FROM stats WHERE account_id = ? ORDER BY name",
                                                         (account_id,)))]
