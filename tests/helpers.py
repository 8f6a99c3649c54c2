"""Reading stored state back for assertions, through the storage layer (never through the API under test)."""

from __future__ import annotations


def stat_row(db, account_id: int, name: str) -> dict | None:
    from app.storage import stats as sq

    return db.read(lambda tx: sq.stat_by_name(tx, account_id, name))


def rollup(db, stat_id: int, res: int, ts: int) -> tuple | None:
    """(total, n, lo, hi) of one bucket, or None."""
    row = db.read(lambda tx: tx.one("SELECT total, n, lo, hi FROM rollups WHERE stat_id = ? AND res = ? AND ts = ?",
                                    (stat_id, res, ts)))
    return None if row is None else (row["total"], row["n"], row["lo"], row["hi"])


def count_rows(db, table: str) -> int:
    return db.read(lambda tx: tx.scalar(f"SELECT COUNT(*) FROM {table}"))


def stat_names(db, account_id: int) -> list[str]:
    return [r["name"] for r in db.read(lambda tx: tx.all("SELECT name FROM stats WHERE account_id = ? ORDER BY name",
                                                         (account_id,)))]
