"""Writing stats and points straight through the storage layer, for read-side tests that need data
the ingest API refuses (huge values, points decades old)."""

from __future__ import annotations

from app import keys
from app.rollups import MINUTE, MinuteBatch
from app.storage import points as pq
from app.storage import stats as sq


def store_stat(db, account_id: int, name: str, kind: str, points: list[tuple[int, float]], now: int,
               tz: str = "UTC") -> int:
    """A stat with the given (ts, value) points: their minute rows upserted in one batch, then folded
    completely into hour and local-day rows, as the write path does
    (storage/points.py on folding; tz is the account's zone)."""
    def tx_fn(tx):
        stat_id = sq.insert_stat(tx, account_id, name, kind, keys.classic_key(), keys.embed_key(), now)
        batch = MinuteBatch()
        for ts, value in points:
            batch.add(stat_id, ts, value, tz)
        pq.upsert_rollups(tx, batch.sorted_rows())
        if points:
            pq.fold(tx, {stat_id: max(ts for ts, _ in points) // MINUTE * MINUTE + MINUTE})
        return stat_id

    return db.run(tx_fn)
