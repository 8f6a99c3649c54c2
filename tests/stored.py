"""Writing stats and points straight through the storage layer, for read-side tests that need data
the ingest API refuses (huge values, points decades old)."""

from __future__ import annotations

from app import keys
from app.rollups import RollupBatch
from app.storage import points as pq
from app.storage import stats as sq


def store_stat(db, account_id: int, name: str, kind: str, points: list[tuple[int, float]], now: int,
               tz: str = "UTC") -> int:
    """A stat with the given (ts, value) points, each rolled up (minute, hour, local day) and upserted
    in one batch, as the write path does."""
    def tx_fn(tx):
        stat_id = sq.insert_stat(tx, account_id, name, kind, keys.classic_key(), keys.embed_key(), now)
        batch = RollupBatch()
        for ts, value in points:
            batch.add(stat_id, ts, value, tz)
        pq.upsert_rollups(tx, batch.sorted_rows())
        return stat_id

    return db.run(tx_fn)
