"""Stats: create, find, list, change, trash."""

from __future__ import annotations

from app import keys
from app.errors import Conflict, Invalid, NotFound
from app.ids import parse_id_list
from app.ingest_rules import check_name
from app.params import is_int, parse_int
from app.storage import accounts as aq
from app.storage import stats as q

KINDS = ("counter", "value")
TRASH_SECONDS = 48 * 3600


def create_stats(tx, account_id: int, wanted: dict[str, str], now: int, *, max_stats: int = 0) -> dict[str, dict]:
    """Insert the stats named in `wanted` (name -> kind) that do not exist yet; return all of them.

    max_stats > 0 bounds the stats the account may hold (trash included): names beyond it, in
    `wanted`'s order, are left out of the answer. Counted under a lock on the account row, so
    concurrent posts cannot both pass it.

    Only the EZ API creates stats this way, so they are marked for StatHat's "a new stat was
    created" mail, which the worker sends (with a delete link, in case the name was a typo)."""
    found = q.stats_by_names(tx, account_id, list(wanted))
    room = len(wanted)
    if max_stats > 0:
        aq.lock_account(tx, account_id)
        room = max_stats - q.count_all_stats(tx, account_id)
    new = [(name, kind) for name, kind in wanted.items() if name not in found][:max(room, 0)]
    if new:
        q.insert_ez_stats(tx, account_id, [(n, k, keys.classic_key(), keys.embed_key()) for n, k in new], now)
        made = q.stats_by_names(tx, account_id, [n for n, _ in new])
        for row in made.values():
            row["new"] = True
        found.update(made)
    return found


def ensure_stats(db, account_id: int, wanted: dict[str, str], now: int, *, max_stats: int = 0) -> dict[str, dict]:
    """Find or create stats by name. Two requests creating one stat at once: the loser re-reads.

    With max_stats, names beyond the account's limit are missing from the answer."""
    existing = db.read(lambda tx: q.stats_by_names(tx, account_id, list(wanted)))
    missing = {n: k for n, k in wanted.items() if n not in existing}
    if not missing:
        return existing
    for _ in range(3):
        try:
            existing.update(db.run(lambda tx: create_stats(tx, account_id, missing, now, max_stats=max_stats)))
            return existing
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise
    existing.update(db.read(lambda tx: q.stats_by_names(tx, account_id, list(missing))))
    return existing


def create_stat(db, email: str, name: str, kind: str, now: int) -> dict:
    if kind not in KINDS:
        raise Invalid("kind must be counter or value", field="kind")
    name = check_name(name)

    def tx_fn(tx):
        account = aq.account_by_email(tx, email.strip().lower())
        if account is None:
            raise NotFound(f"no account {email!r}")
        if q.stat_by_name(tx, account["id"], name):
            raise Conflict(f"a stat named {name!r} already exists", field="name")
        stat_id = q.insert_stat(tx, account["id"], name, kind, keys.classic_key(), keys.embed_key(), now)
        return q.stat_by_id(tx, account["id"], stat_id)

    return db.run(tx_fn)


def public_stat(stat: dict) -> dict:
    """A stat as the export API shows it (StatHat's fields plus the ones its clients saw)."""
    return {
        "id": str(stat["id"]),
        "name": stat["name"],
        "public": bool(stat["public"]),
        "counter": stat["kind"] == "counter",
        "unit": stat.get("unit") or "",
        "classic_key": stat["classic_key"],
        "embed_key": stat["embed_key"],
        "created_at": stat["created_at"],
        "data_received_at": stat.get("last_data_at"),
    }


def parse_stat_id(raw) -> int:
    if not is_int(raw, 1, 2**62):
        raise NotFound("no such stat")
    return int(str(raw).strip())


def trash_stat(db, account_id: int, stat_id: int, now: int) -> None:
    def tx_fn(tx):
        stat = q.stat_by_id(tx, account_id, stat_id)
        if stat is None or stat["deleted_at"] is not None:
            raise NotFound("no such stat")
        q.update_stat(tx, account_id, stat_id, deleted_at=now)

    db.run(tx_fn)


# -- the stats list and the trash ---------------------------------------------------------------

PAGE = 100
MAX_OFFSET = 10**9   # far past any account's stats; a bigger offset is refused, not sent to SQL
SORTS = ("name", "last")


def list_view(db, account_id: int, now: int, *, query: str = "", sort: str = "name", offset: int = 0) -> dict:
    """One page of stats with a 24-hour sparkline each (one query for all sparklines)."""
    from app.rollups import HOUR
    from app.series import bucketize
    from app.storage import points as pq

    sort = sort if sort in SORTS else "name"
    query = (query or "").strip()[:100]
    offset = parse_int(offset, field="offset", lo=0, hi=MAX_OFFSET, default=0)

    def tx_fn(tx):
        rows = q.list_stats(tx, account_id, query=query, sort=sort, offset=offset, limit=PAGE + 1)
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        end = now - now % HOUR + HOUR
        starts = list(range(end - 24 * HOUR, end, HOUR))
        ends = [s + HOUR for s in starts]
        series = pq.read_rollups_many(tx, [r["id"] for r in rows], HOUR, starts[0], end)
        total = q.count_stats(tx, account_id)
        trash = q.count_stats(tx, account_id, deleted=True)
        out = []
        for r in rows:
            buckets = bucketize(series[r["id"]], starts, ends)
            spark = [b.value(r["kind"]) for b in buckets]
            out.append({**_stat_summary(r), "spark": spark, "figure": _spark_figure(r["kind"], buckets)})
        return {"stats": out, "more": more, "next_offset": offset + PAGE, "total": total, "trash": trash}

    view = db.read(tx_fn)
    view.update(query=query, sort=sort, offset=offset)
    return view


def _spark_figure(kind: str, buckets) -> dict | None:
    """The number beside a sparkline: a counter's total over the 24 hours drawn, a value's mean in
    its latest hour with data. None when the 24 hours hold no data."""
    filled = [b for b in buckets if b.n]
    if not filled:
        return None
    if kind == "counter":
        return {"value": sum(b.total for b in filled), "what": "in 24 h"}
    return {"value": filled[-1].value(kind), "what": "latest"}


def _stat_summary(r: dict) -> dict:
    return {"id": r["id"], "name": r["name"], "kind": r["kind"], "unit": r["unit"], "public": bool(r["public"]),
            "created_at": r["created_at"], "last_data_at": r.get("last_data_at"), "deleted_at": r["deleted_at"]}


def trash_view(db, account_id: int, now: int) -> dict:
    rows = db.read(lambda tx: q.list_stats(tx, account_id, deleted=True, sort="deleted"))
    return {"stats": [{**_stat_summary(r), "purge_at": r["deleted_at"] + TRASH_SECONDS} for r in rows]}


def trash_stats(db, account_id: int, raw_ids: list, now: int) -> int:
    """Move several stats to the trash (ids as the form sends them; garbage is Invalid); ids that are
    not this account's live stats are ignored."""
    stat_ids = parse_id_list(raw_ids, what="stat", field="stat", most=10 * PAGE)

    def tx_fn(tx):
        n = 0
        for stat_id in stat_ids:
            stat = q.stat_by_id(tx, account_id, stat_id)
            if stat is not None and stat["deleted_at"] is None:
                n += q.update_stat(tx, account_id, stat_id, deleted_at=now)
        return n

    return db.run(tx_fn)


def restore_stat(db, account_id: int, stat_id: int) -> None:
    def tx_fn(tx):
        stat = q.stat_by_id(tx, account_id, stat_id)
        if stat is None or stat["deleted_at"] is None:
            raise NotFound("no such stat in the trash")
        q.update_stat(tx, account_id, stat_id, deleted_at=None)

    db.run(tx_fn)


def purge_trash(db, now: int) -> int:
    """Delete stats (and their points) that have been in the trash for 48 hours. A worker job."""
    from app.storage import points as pq

    def tx_fn(tx):
        old = q.trashed_before(tx, now - TRASH_SECONDS)
        pq.delete_stat_rollups(tx, [s["id"] for s in old])
        for s in old:
            q.delete_stat_row(tx, s["id"])
        return len(old)

    return db.run(tx_fn)
