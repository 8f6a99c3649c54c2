"""SQL for stats (not their points: see points.py)."""

from __future__ import annotations

from app.storage.db import Tx

_COLS = ("s.id, s.account_id, s.name, s.kind, s.classic_key, s.embed_key, s.public, s.unit, s.direction, s.created_at,"
         " s.deleted_at")
_COL_NAMES = tuple(c.strip().removeprefix("s.") for c in _COLS.split(","))
# Last data is derived from the newest bucket (an index seek on the rollups primary key), so the
# write path never has to update the stats row.
_LAST = (
    "COALESCE((SELECT MAX(r.ts) FROM rollups r WHERE r.stat_id = s.id AND r.res = 60),"
    " (SELECT MAX(r.ts) FROM rollups r WHERE r.stat_id = s.id AND r.res = 3600),"
    " (SELECT MAX(r.ts) FROM rollups r WHERE r.stat_id = s.id AND r.res = 86400)) AS last_data_at"
)


_ORDER = {
    "name": "s.name, s.id",
    # Stats without data sort last on both backends (NULLs sort first in ascending order on both).
    "last": "CASE WHEN last_data_at IS NULL THEN 1 ELSE 0 END, last_data_at DESC, s.name",
    "deleted": "s.deleted_at DESC, s.id",
}


def count_stats(tx: Tx, account_id: int, *, deleted: bool = False) -> int:
    where = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
    return tx.scalar(f"SELECT COUNT(*) FROM stats WHERE account_id = ? AND {where}", (account_id,))


def count_all_stats(tx: Tx, account_id: int) -> int:
    """Live and trashed: every stat row the account holds (the stat limit counts them all)."""
    return tx.scalar("SELECT COUNT(*) FROM stats WHERE account_id = ?", (account_id,))


def insert_stat(tx: Tx, account_id: int, name: str, kind: str, classic_key: str, embed_key: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO stats (account_id, name, kind, classic_key, embed_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, name, kind, classic_key, embed_key, now),
    )


def insert_ez_stats(tx: Tx, account_id: int, rows: list[tuple[str, str, str, str]], now: int) -> None:
    """Stats the EZ API creates: (name, kind, classic_key, embed_key) each, marked for the "new
    stat" mail, 500 to a statement: a post naming 10,000 new stats was 20,000 round trips (an
    INSERT and an UPDATE each). Read their ids back by name (stats_by_names): ids of a multi-row
    insert are consecutive only under some auto-increment lock modes, and Galera runs the other."""
    for i in range(0, len(rows), 500):
        chunk = rows[i:i + 500]
        tx.execute("INSERT INTO stats (account_id, name, kind, classic_key, embed_key, created_at, ez_created)"
                   f" VALUES {','.join(['(?, ?, ?, ?, ?, ?, 1)'] * len(chunk))}",
                   [v for name, kind, ck, ek in chunk for v in (account_id, name, kind, ck, ek, now)])


def stats_by_names(tx: Tx, account_id: int, names: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for i in range(0, len(names), 500):
        chunk = names[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for row in tx.all(
            f"SELECT {_COLS} FROM stats s WHERE s.account_id = ? AND s.name IN ({marks})", [account_id, *chunk]
        ):
            found[row["name"]] = row
    return found


def stat_by_id(tx: Tx, account_id: int, stat_id: int, *, with_last: bool = False) -> dict | None:
    extra = ", " + _LAST if with_last else ""
    return tx.one(f"SELECT {_COLS}{extra} FROM stats s WHERE s.id = ? AND s.account_id = ?", (stat_id, account_id))


def stats_by_token(tx: Tx, token: str, stat_ids: list[int], minutes: tuple[int, int] | None = None
                   ) -> tuple[dict | None, dict[int, dict], dict[int, list[tuple]] | None]:
    """The account an access token belongs to ({"id", "timezone"}, or None) and those of stat_ids
    that are its stats, in one round trip: the export API's read, where a point just posted should
    be readable as soon as it can be.

    minutes=(start, end): on MySQL the minute rows of those stats with start <= ts < end come in
    the same round trip, as {stat_id: [(ts, total, n, lo, hi), ...]} oldest first, a stat without
    rows absent (a second round trip to a mariadbd that has been idle costs a read 0.1-0.3 ms,
    bench/README.md, fourteenth session). They are read through the token, so a wrong token reads
    no one's rows. None on SQLite (a second query is no round trip there) or without minutes: the
    caller reads the rows itself."""
    marks = ",".join("?" * len(stat_ids))
    token_sql = (f"SELECT a.id AS token_account_id, a.timezone AS token_timezone, {_COLS} FROM access_tokens t"
                 " JOIN accounts a ON a.id = t.account_id"
                 f" LEFT JOIN stats s ON s.account_id = a.id AND s.id IN ({marks}) WHERE t.token = ?")
    args = (*stat_ids, token)
    read: dict[int, list[tuple]] | None = None
    if minutes is not None and tx.dialect == "mysql":
        found, minute_rows = tx.script([
            (token_sql, args),
            ("SELECT r.stat_id, r.ts, r.total, r.n, r.lo, r.hi FROM access_tokens t"
             f" JOIN stats s ON s.account_id = t.account_id AND s.id IN ({marks})"
             " JOIN rollups r ON r.stat_id = s.id AND r.res = 60 AND r.ts >= ? AND r.ts < ?"
             " WHERE t.token = ? ORDER BY r.stat_id, r.ts", (*stat_ids, *minutes, token)),
        ])
        names = ("token_account_id", "token_timezone", *_COL_NAMES)
        rows = [dict(zip(names, r, strict=True)) for r in found]
        read = {}
        for r in minute_rows:
            read.setdefault(r[0], []).append(r[1:])
    else:
        rows = tx.all(token_sql, args)
    if not rows:
        return None, {}, read
    account = {"id": rows[0]["token_account_id"], "timezone": rows[0]["token_timezone"]}
    stats = {}
    for r in rows:
        if r["id"] is not None:
            del r["token_account_id"], r["token_timezone"]
            stats[r["id"]] = r
    return account, stats, read


def stat_by_name(tx: Tx, account_id: int, name: str, *, with_last: bool = False) -> dict | None:
    extra = ", " + _LAST if with_last else ""
    return tx.one(
        f"SELECT {_COLS}{extra} FROM stats s WHERE s.account_id = ? AND s.name = ?", (account_id, name)
    )


def stat_by_classic_key(tx: Tx, classic_key: str) -> dict | None:
    return tx.one(f"SELECT {_COLS} FROM stats s WHERE s.classic_key = ?", (classic_key,))


def stat_by_embed_key(tx: Tx, embed_key: str) -> dict | None:
    return tx.one(f"SELECT {_COLS} FROM stats s WHERE s.embed_key = ?", (embed_key,))


def list_stats(tx: Tx, account_id: int, *, deleted: bool = False, offset: int = 0, limit: int = 10000,
               query: str = "", sort: str = "name") -> list[dict]:
    where = "s.deleted_at IS NOT NULL" if deleted else "s.deleted_at IS NULL"
    params: list = [account_id]
    if query:
        where += " AND LOWER(s.name) LIKE ?"
        params.append("%" + query.lower().replace("%", "").replace("_", "") + "%")
    params += [limit, offset]
    return tx.all(
        f"SELECT {_COLS}, {_LAST} FROM stats s WHERE s.account_id = ? AND {where} ORDER BY {_ORDER[sort]}"
        " LIMIT ? OFFSET ?",
        params,
    )


def update_stat(tx: Tx, account_id: int, stat_id: int, **fields) -> int:
    allowed = {"name", "unit", "public", "deleted_at", "embed_key", "classic_key", "direction"}
    cols = [c for c in fields if c in allowed]
    if not cols:
        return 0
    n = tx.execute(
        "UPDATE stats SET " + ", ".join(f"{c} = ?" for c in cols) + " WHERE id = ? AND account_id = ?",
        [fields[c] for c in cols] + [stat_id, account_id],
    )
    if n and ("name" in cols or "deleted_at" in cols):
        bump_stats_gen(tx, account_id)
    return n


def bump_stats_gen(tx: Tx, account_id: int) -> None:
    """Ingest caches name -> stat per account generation (interactors/ingest.py): every change to
    which stat a name means goes through here, in the same transaction as the change."""
    tx.execute("UPDATE accounts SET stats_gen = stats_gen + 1 WHERE id = ?", (account_id,))


def trashed_before(tx: Tx, before: int) -> list[dict]:
    return tx.all("SELECT id, account_id FROM stats WHERE deleted_at IS NOT NULL AND deleted_at < ?", (before,))


def delete_stat_row(tx: Tx, stat_id: int) -> None:
    account_id = tx.scalar("SELECT account_id FROM stats WHERE id = ?", (stat_id,))
    tx.execute("DELETE FROM stats WHERE id = ?", (stat_id,))
    if account_id is not None:
        bump_stats_gen(tx, account_id)


def all_stat_ids(tx: Tx) -> list[int]:
    return [r["id"] for r in tx.all("SELECT id FROM stats ORDER BY id")]


def first_rollup_ts(tx: Tx, stat_id: int, res: int) -> int | None:
    """The oldest bucket a stat has at one resolution (an index seek on the rollups primary key)."""
    return tx.scalar("SELECT MIN(ts) FROM rollups WHERE stat_id = ? AND res = ?", (stat_id, res))


def classic_stat(tx: Tx, classic_key: str) -> dict | None:
    """A stat by its classic key with its owner's ukey and timezone: the classic API's one lookup."""
    return tx.one(
        "SELECT s.id, s.kind, a.ukey, a.timezone FROM stats s JOIN accounts a ON a.id = s.account_id"
        " WHERE s.classic_key = ?", (classic_key,))


def live_stat_index(tx: Tx, account_id: int) -> dict[str, dict]:
    """name -> {id, name, kind} of the account's live stats, without last-data lookups (the Graphite
    API matches wildcards against every name)."""
    return {r["name"]: r for r in tx.all(
        "SELECT id, name, kind FROM stats WHERE account_id = ? AND deleted_at IS NULL", (account_id,))}
