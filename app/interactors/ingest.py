"""Recording numbers: StatHat's EZ API (by name, bulk too) and classic API (by key)."""

from __future__ import annotations

import hmac
import weakref
from dataclasses import dataclass, field

from app.errors import EyrieError, Forbidden, Invalid, Unavailable
from app.ingest_rules import expand_names, kind_and_number, parse_number, parse_time
from app.interactors.stats import ensure_stats
from app.rollups import RollupBatch
from app.storage import accounts as aq
from app.storage import stats as sq

INVALID_KEYS = "invalid keys"


class StatCache:
    """name -> stat per account, valid for one `stats_gen` of the account (bumped in the same
    transaction as any rename, trash, restore or purge), so a hit is never stale: the account
    row is read on every post anyway. Saves the per-post stat query (most of a bulk post's reads)."""

    MAX_ENTRIES = 200_000

    def __init__(self):
        self._by_account: dict[int, tuple[int, dict[str, dict]]] = {}
        self._size = 0

    def lookup(self, account: dict, wanted) -> dict[str, dict]:
        gen, names = self._by_account.get(account["id"], (None, None))
        if names is None or gen != account["stats_gen"]:
            return {}
        return {n: names[n] for n in wanted if n in names}

    def store(self, account: dict, stats: dict[str, dict]) -> None:
        if self._size > self.MAX_ENTRIES:
            self._by_account, self._size = {}, 0
        gen, names = self._by_account.get(account["id"], (None, None))
        if names is None or gen != account["stats_gen"]:
            names = {}
            self._by_account[account["id"]] = (account["stats_gen"], names)
        for name, stat in stats.items():
            names[name] = {"id": stat["id"], "kind": stat["kind"]}
        self._size += len(stats)


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _stat_cache(db) -> StatCache:
    cache = _caches.get(db)
    if cache is None:
        cache = _caches.setdefault(db, StatCache())
    return cache


@dataclass(slots=True)  # not frozen: a bulk post builds thousands, and frozen __init__ is slow
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


def _check_ez_account(account: dict | None) -> None:
    if account is None:
        raise Forbidden(INVALID_KEYS)
    if not account["ez_enabled"]:
        raise Forbidden("the EZ API is turned off for this account")


def _parse_items(items: list[EzItem], now: int, result: IngestResult, *, bulk: bool) -> list[tuple]:
    """(names, kind, number, t) per valid item; in bulk, bad items are listed in result.rejected."""
    parsed = []
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
    return parsed


def _add_to_batch(db, account: dict, parsed: list[tuple], now: int, batch: RollupBatch,
                  result: IngestResult) -> None:
    """Find or create the stats `parsed` names in the account and add its points to `batch`."""
    wanted: dict[str, str] = {}
    for names, kind, _, _ in parsed:
        for name in names:
            wanted.setdefault(name, kind)  # a stat's kind is fixed by its first datum
    stats = _stat_cache(db).lookup(account, wanted)
    missing = {n: k for n, k in wanted.items() if n not in stats}
    if missing:
        found = ensure_stats(db, account["id"], missing, now)
        stats.update(found)
        _stat_cache(db).store(account, found)
    tz = account["timezone"]
    for names, _, number, t in parsed:
        for name in names:
            batch.add(stats[name]["id"], t, number, tz)
    result.accepted = len(parsed)
    result.created = [s for s in stats.values() if s.get("new")]


def record_ez(db, ezkey, items: list[EzItem], now: int, *, bulk: bool = False) -> IngestResult:
    """Validate every item, create unknown stats, then commit all points in one transaction.

    A single (non-bulk) item that fails validation raises Invalid and stores nothing. In bulk,
    bad items are listed as rejected and the good ones are stored.
    """
    if not isinstance(ezkey, str) or not ezkey.strip():
        raise Invalid("missing ezkey")
    result = IngestResult()
    parsed = _parse_items(items, now, result, bulk=bulk)
    account = db.read(lambda tx: aq.account_by_ezkey(tx, ezkey.strip()))
    _check_ez_account(account)
    if not parsed:
        return result
    batch = RollupBatch()
    _add_to_batch(db, account, parsed, now, batch, result)
    db.writer.write(batch)
    return result


def record_for_accounts(db, groups: list[tuple[dict, list[EzItem]]], now: int) -> list[IngestResult]:
    """The listeners' flush: items for accounts already identified (by --account or by metrics
    token), validated as bulk EZ items are, committed for every account in one transaction."""
    batch = RollupBatch()
    results = []
    for account, items in groups:
        result = IngestResult()
        parsed = _parse_items(items, now, result, bulk=True)
        if parsed:
            try:
                _add_to_batch(db, account, parsed, now, batch, result)
            except Unavailable:
                raise
            except EyrieError as exc:  # this account refuses (a limit, say): the others still land
                done = {r["index"] for r in result.rejected}
                result.rejected += [{"index": i, "msg": exc.msg} for i in range(len(items)) if i not in done]
        results.append(result)
    db.writer.write(batch)
    return results


def record_classic(db, ukey, key, number, t, now: int, *, default_count: bool = False) -> None:
    """Classic API: the stat must exist and belong to the account holding ukey."""
    if not ukey or not key or not isinstance(ukey, str) or not isinstance(key, str):
        raise Forbidden(INVALID_KEYS)

    if (number is None or number == "") and default_count:
        value = 1.0
    else:
        value = parse_number(number, "count" if default_count else "value")
    ts = parse_time(t, now)
    stat = db.read(lambda tx: sq.classic_stat(tx, key))
    if stat is None or not hmac.compare_digest(stat["ukey"], ukey):
        raise Forbidden(INVALID_KEYS)
    batch = RollupBatch()
    batch.add(stat["id"], ts, value, stat["timezone"])
    db.writer.write(batch)
