"""Retention: drop rollup rows older than each resolution's configured age. A worker job."""

from __future__ import annotations

from app.rollups import DAY, HOUR, MINUTE
from app.storage import points as pq
from app.storage import stats as sq


def cutoffs(retention, now: int) -> dict[int, int]:
    """resolution -> drop buckets that start before this time (resolutions kept forever are absent)."""
    days = {MINUTE: retention.minute_days, HOUR: retention.hour_days, DAY: retention.day_days}
    return {res: now - d * DAY for res, d in days.items() if d and d > 0}


def prune(db, retention, now: int) -> dict:
    """One short transaction per stat (a primary-key range delete per resolution), so pruning a big
    install never holds locks that stall ingest."""
    limits = cutoffs(retention, now)
    deleted = 0
    if not limits:
        return {"rows": 0}
    fold_to = limits.get(MINUTE)
    for stat_id in db.read(sq.all_stat_ids):
        deleted += db.run(lambda tx, s=stat_id: _prune_stat(tx, s, limits, fold_to))
    return {"rows": deleted}


def _prune_stat(tx, stat_id: int, limits: dict[int, int], fold_to: int | None) -> int:
    if fold_to is not None:
        pq.fold(tx, {stat_id: fold_to})  # minute rows go: whatever is not in the hours yet goes there first
    return sum(pq.delete_rollups_before(tx, stat_id, res, before) for res, before in limits.items())
