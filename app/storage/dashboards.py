"""SQL for dashboards and their tiles.

Every tile query names its dashboard, and every dashboard query names its account (or its share
token), so a tile can only be reached through a dashboard its caller may see.
"""

from __future__ import annotations

from app.params import is_int
from app.storage.db import Tx

_DASH = "d.id, d.account_id, d.name, d.refresh_seconds, d.share_token, d.created_at"
_TILE = "t.id, t.dashboard_id, t.position, t.size, t.timeframe, t.title, t.stat_ids, t.created_at"


# -- dashboards ---------------------------------------------------------------------------------------


def insert_dashboard(tx: Tx, account_id: int, name: str, refresh_seconds: int, now: int) -> int:
    return tx.insert("INSERT INTO dashboards (account_id, name, refresh_seconds, created_at) VALUES (?, ?, ?, ?)",
                     (account_id, name, refresh_seconds, now))


def dashboard_by_id(tx: Tx, account_id: int, dashboard_id: int) -> dict | None:
    return tx.one(f"SELECT {_DASH} FROM dashboards d WHERE d.id = ? AND d.account_id = ?",
                  (dashboard_id, account_id))


def dashboard_by_token(tx: Tx, token: str) -> dict | None:
    """A shared dashboard with its owner's timezone (daily buckets follow it)."""
    return tx.one(f"SELECT {_DASH}, a.timezone FROM dashboards d JOIN accounts a ON a.id = d.account_id"
                  " WHERE d.share_token = ?", (token,))


def list_dashboards(tx: Tx, account_id: int) -> list[dict]:
    return tx.all(f"SELECT {_DASH}, (SELECT COUNT(*) FROM dashboard_tiles t WHERE t.dashboard_id = d.id) AS tiles"
                  " FROM dashboards d WHERE d.account_id = ? ORDER BY d.name, d.id", (account_id,))


def count_dashboards(tx: Tx, account_id: int) -> int:
    return int(tx.scalar("SELECT COUNT(*) FROM dashboards WHERE account_id = ?", (account_id,)))


def update_dashboard(tx: Tx, account_id: int, dashboard_id: int, **fields) -> int:
    allowed = {"name", "refresh_seconds", "share_token"}
    assert fields and set(fields) <= allowed, fields
    sets = ", ".join(f"{k} = ?" for k in fields)
    return tx.execute(f"UPDATE dashboards SET {sets} WHERE id = ? AND account_id = ?",
                      (*fields.values(), dashboard_id, account_id))


def delete_dashboard(tx: Tx, account_id: int, dashboard_id: int) -> int:
    n = tx.execute("DELETE FROM dashboards WHERE id = ? AND account_id = ?", (dashboard_id, account_id))
    if n:   # the foreign key cascades too; saying it keeps the intent visible on both backends
        tx.execute("DELETE FROM dashboard_tiles WHERE dashboard_id = ?", (dashboard_id,))
    return n


# -- tiles --------------------------------------------------------------------------------------------


def tiles(tx: Tx, dashboard_id: int) -> list[dict]:
    rows = tx.all(f"SELECT {_TILE} FROM dashboard_tiles t WHERE t.dashboard_id = ? ORDER BY t.position, t.id",
                  (dashboard_id,))
    return [_decode(r) for r in rows]


def tile_by_id(tx: Tx, dashboard_id: int, tile_id: int) -> dict | None:
    return _decode(tx.one(f"SELECT {_TILE} FROM dashboard_tiles t WHERE t.id = ? AND t.dashboard_id = ?",
                          (tile_id, dashboard_id)))


def insert_tile(tx: Tx, dashboard_id: int, size: int, timeframe: str, title: str, stat_ids: list[int],
                now: int) -> int:
    """Appended after the dashboard's last tile."""
    last = tx.scalar("SELECT MAX(position) FROM dashboard_tiles WHERE dashboard_id = ?", (dashboard_id,))
    return tx.insert(
        "INSERT INTO dashboard_tiles (dashboard_id, position, size, timeframe, title, stat_ids, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (dashboard_id, 0 if last is None else int(last) + 1, size, timeframe, title,
         ",".join(str(i) for i in stat_ids), now),
    )


def count_tiles(tx: Tx, dashboard_id: int) -> int:
    return int(tx.scalar("SELECT COUNT(*) FROM dashboard_tiles WHERE dashboard_id = ?", (dashboard_id,)))


def set_tile_size(tx: Tx, dashboard_id: int, tile_id: int, size: int) -> int:
    return tx.execute("UPDATE dashboard_tiles SET size = ? WHERE id = ? AND dashboard_id = ?",
                      (size, tile_id, dashboard_id))


def set_positions(tx: Tx, dashboard_id: int, ordered_ids: list[int]) -> None:
    """Positions 0, 1, 2, ... in the order given."""
    tx.executemany("UPDATE dashboard_tiles SET position = ? WHERE id = ? AND dashboard_id = ?",
                   [(i, tile_id, dashboard_id) for i, tile_id in enumerate(ordered_ids)])


def delete_tile(tx: Tx, dashboard_id: int, tile_id: int) -> int:
    return tx.execute("DELETE FROM dashboard_tiles WHERE id = ? AND dashboard_id = ?", (tile_id, dashboard_id))


# -- the stats tiles show -----------------------------------------------------------------------------


def live_stats(tx: Tx, account_id: int, stat_ids: list[int]) -> dict[int, dict]:
    """The account's stats among stat_ids that are not in the trash, by id."""
    if not stat_ids:
        return {}
    marks = ", ".join("?" for _ in stat_ids)
    rows = tx.all(f"SELECT id, name, kind, unit, direction, created_at FROM stats WHERE account_id = ?"
                  f" AND id IN ({marks})"
                  " AND deleted_at IS NULL", (account_id, *stat_ids))
    return {int(r["id"]): r for r in rows}


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    ids = [int(p) for p in str(row["stat_ids"]).split(",") if is_int(p, 1, 2**62)]
    return {**row, "stat_ids": ids}
