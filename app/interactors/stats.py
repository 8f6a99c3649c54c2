"""Stats: create, find, list, change, trash."""

from __future__ import annotations

from app import keys
from app.errors import Conflict, Invalid, NotFound
from app.ingest_rules import check_name
from app.storage import accounts as aq
from app.storage import stats as q

KINDS = ("counter", "value")
TRASH_SECONDS = 48 * 3600


def create_stats(tx, account_id: int, wanted: dict[str, str], now: int) -> dict[str, dict]:
    """Insert the stats named in `wanted` (name -> kind) that do not exist yet; return all of them."""
    found = q.stats_by_names(tx, account_id, list(wanted))
    for name, kind in wanted.items():
        if name not in found:
            stat_id = q.insert_stat(tx, account_id, name, kind, keys.classic_key(), keys.embed_key(), now)
            found[name] = dict(id=stat_id, account_id=account_id, name=name, kind=kind, deleted_at=None,
                               created_at=now, public=0, unit="")
            found[name]["new"] = True
    return found


def ensure_stats(db, account_id: int, wanted: dict[str, str], now: int) -> dict[str, dict]:
    """Find or create stats by name. Two requests creating one stat at once: the loser re-reads."""
    existing = db.read(lambda tx: q.stats_by_names(tx, account_id, list(wanted)))
    missing = {n: k for n, k in wanted.items() if n not in existing}
    if not missing:
        return existing
    for _ in range(3):
        try:
            existing.update(db.run(lambda tx: create_stats(tx, account_id, missing, now)))
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
    try:
        value = int(str(raw))
    except ValueError:
        raise NotFound("no such stat") from None
    if value <= 0 or value > 2**62:
        raise NotFound("no such stat")
    return value


def trash_stat(db, account_id: int, stat_id: int, now: int) -> None:
    def tx_fn(tx):
        stat = q.stat_by_id(tx, account_id, stat_id)
        if stat is None or stat["deleted_at"] is not None:
            raise NotFound("no such stat")
        q.update_stat(tx, account_id, stat_id, deleted_at=now)

    db.run(tx_fn)
