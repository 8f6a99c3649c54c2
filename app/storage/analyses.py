"""SQL for saved overlay analyses."""

from __future__ import annotations

from app.params import is_int
from app.storage.db import Tx

_COLS = "id, account_id, name, stat_ids, timeframe, created_at"


def insert_analysis(tx: Tx, account_id: int, name: str, stat_ids: list[int], timeframe: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO analyses (account_id, name, stat_ids, timeframe, created_at) VALUES (?, ?, ?, ?, ?)",
        (account_id, name, ",".join(str(i) for i in stat_ids), timeframe, now),
    )


def analysis_by_id(tx: Tx, account_id: int, analysis_id: int) -> dict | None:
    return _decode(tx.one(f"SELECT {_COLS} FROM analyses WHERE id = ? AND account_id = ?",
                          (analysis_id, account_id)))


def list_analyses(tx: Tx, account_id: int) -> list[dict]:
    rows = tx.all(f"SELECT {_COLS} FROM analyses WHERE account_id = ? ORDER BY name, id", (account_id,))
    return [_decode(r) for r in rows]


def delete_analysis(tx: Tx, account_id: int, analysis_id: int) -> int:
    return tx.execute("DELETE FROM analyses WHERE id = ? AND account_id = ?", (analysis_id, account_id))


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    ids = [int(p) for p in str(row["stat_ids"]).split(",") if is_int(p, 1, 2**62)]
    return {**row, "stat_ids": ids}
