"""Recording numbers: StatHat's EZ API (by name, bulk too) and classic API (by key)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import EyrieError, Forbidden, Invalid
from app.ingest_rules import expand_names, kind_and_number, parse_number, parse_time
from app.interactors.stats import ensure_stats
from app.rollups import RollupBatch
from app.storage import accounts as aq
from app.storage import stats as sq

INVALID_KEYS = "invalid keys"


@dataclass(frozen=True)
class EzItem:
    """One datum as sent: raw strings (form posts) or JSON values (bulk)."""

    stat: object
    count: object = None
    value: object = None
    t: object = None


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[dict] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)  # stats made by this call (for "new stat" mail)


def _ez_account(tx, ezkey: str) -> dict:
    account = aq.account_by_ezkey(tx, ezkey)
    if account is None:
        raise Forbidden(INVALID_KEYS)
    if not account["ez_enabled"]:
        raise Forbidden("the EZ API is turned off for this account")
    return account


def record_ez(db, ezkey, items: list[EzItem], now: int, *, bulk: bool = False) -> IngestResult:
    """Validate every item, create unknown stats, then commit all points in one transaction.

    A single (non-bulk) item that fails validation raises Invalid and stores nothing. In bulk,
    bad items are listed as rejected and the good ones are stored.
    """
    if not isinstance(ezkey, str) or not ezkey.strip():
        raise Invalid("missing ezkey")
    parsed = []  # (names, kind, number, t)
    result = IngestResult()
    for index, item in enumerate(items):
        try:
            if item.stat is None or item.stat == "":
                raise Invalid("missing stat")
            names = expand_names(item.stat)
            kind, number = kind_and_number(item.count, item.value)
            t = parse_time(item.t, now)
        except EyrieError as exc:
            if not bulk:
                raise
            result.rejected.append({"index": index, "msg": exc.msg})
            continue
        parsed.append((names, kind, number, t))
    account = db.read(lambda tx: _ez_account(tx, ezkey.strip()))
    if not parsed:
        return result
    wanted: dict[str, str] = {}
    for names, kind, _, _ in parsed:
        for name in names:
            wanted.setdefault(name, kind)  # a stat's kind is fixed by its first datum
    stats = ensure_stats(db, account["id"], wanted, now)
    tz = account["timezone"]
    batch = RollupBatch()
    for names, _, number, t in parsed:
        for name in names:
            batch.add(stats[name]["id"], t, number, tz)
    db.writer.write(batch)
    result.accepted = len(parsed)
    result.created = [s for s in stats.values() if s.get("new")]
    return result


def record_classic(db, ukey, key, number, t, now: int, *, default_count: bool = False) -> None:
    """Classic API: the stat must exist and belong to the account holding ukey."""
    if not ukey or not key or not isinstance(ukey, str) or not isinstance(key, str):
        raise Forbidden(INVALID_KEYS)

    def lookup(tx):
        stat = sq.stat_by_classic_key(tx, key)
        if stat is None:
            raise Forbidden(INVALID_KEYS)
        account = aq.account_by_id(tx, stat["account_id"])
        if account is None or account["ukey"] != ukey:
            raise Forbidden(INVALID_KEYS)
        return stat, account

    if (number is None or number == "") and default_count:
        value = 1.0
    else:
        value = parse_number(number, "count" if default_count else "value")
    ts = parse_time(t, now)
    stat, account = db.read(lookup)
    batch = RollupBatch()
    batch.add(stat["id"], ts, value, account["timezone"])
    db.writer.write(batch)
