"""SQL for embeds: stats by embed key, with their owner's timezone and a cheap data fingerprint."""

from __future__ import annotations

from app.storage.db import Tx

# The newest minute bucket (an index seek on the rollups primary key) stands for "the data changed":
# a new point lands in it, or makes a newer one.
_SQL = (
    "SELECT s.id, s.account_id, s.name, s.kind, s.unit, s.direction, s.public, s.embed_key, s.created_at,"
    " s.deleted_at,"
    " a.timezone, r.ts AS fp_ts, r.n AS fp_n, r.total AS fp_total"
    " FROM stats s JOIN accounts a ON a.id = s.account_id"
    " LEFT JOIN rollups r ON r.stat_id = s.id AND r.res = 60"
    " AND r.ts = (SELECT MAX(r2.ts) FROM rollups r2 WHERE r2.stat_id = s.id AND r2.res = 60)"
    " WHERE s.embed_key IN ({marks})"
)


def stats_by_embed_keys(tx: Tx, keys: list[str]) -> dict[str, dict]:
    """embed key -> stat row (with timezone and fp_ts, fp_n, fp_total), in one query."""
    if not keys:
        return {}
    rows = tx.all(_SQL.format(marks=",".join("?" * len(keys))), list(keys))
    return {r["embed_key"]: r for r in rows}
