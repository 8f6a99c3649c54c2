"""Recording numbers: StatHat's EZ API (by name, bulk too) and classic API (by key)."""

from __future__ import annotations

import hmac
import weakref
from dataclasses import dataclass, field

from app.errors import EyrieError, Forbidden, Invalid, Unavailable
from app.ingest_rules import DEFAULT_LIMITS, Limits, expand_names, is_text, kind_and_number, parse_number, parse_time
from app.interactors.stats import ensure_stats
from app.rollups import RollupBatch
from app.storage import accounts as aq
from app.storage import stats as sq

INVALID_KEYS = "invalid keys"
# A reply lists this many rejected items (and counts all of them): never larger than the request.
MAX_REJECTED_SHOWN = 100


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


# What a bulk entry that is not a JSON object becomes (one shared instance, refused by identity).
NOT_AN_OBJECT = EzItem(stat=None)
NOT_AN_OBJECT_MSG = "an item must be an object with stat and count or value"


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[dict] = field(default_factory=list)  # the first MAX_REJECTED_SHOWN, with index and reason
    rejected_count: int = 0
    created: list[dict] = field(default_factory=list)  # stats made by this call (for "new stat" mail)

    def reject(self, index: int, msg: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_SHOWN:
            self.rejected.append({"index": index, "msg": msg})


def stat_limit_msg(limits: Limits) -> str:
    return (f"stat limit reached: an account may hold {limits.max_stats} stats (trash included), "
            "and this one would exceed it (setting EYRIE_MAX_STATS)")


def _check_ez_account(account: dict | None) -> None:
    if account is None:
        raise Forbidden(INVALID_KEYS)
    if not account["ez_enabled"]:
        raise Forbidden("the EZ API is turned off for this account")


def _parse_items(items: list[EzItem], now: int, result: IngestResult, *, bulk: bool,
                 limits: Limits) -> list[tuple]:
    """(index, names, kind, number, t) per valid item; in bulk, bad items are rejected in result."""
    parsed = []
    for index, item in enumerate(items):
        if item is NOT_AN_OBJECT:  # no exception per item: refusing a bad body costs little per byte
            result.reject(index, NOT_AN_OBJECT_MSG)
            continue
        try:
            if item.stat is None or item.stat == "":
                raise Invalid("missing stat")
            names = expand_names(item.stat)
            kind, number = kind_and_number(item.count, item.value)
            t = parse_time(item.t, now, limits)
        except EyrieError as exc:
            if not bulk:
                raise
            result.reject(index, exc.msg)
            continue
        parsed.append((index, names, kind, number, t))
    return parsed


def _add_to_batch(db, account: dict, parsed: list[tuple], now: int, batch: RollupBatch, result: IngestResult, *,
                  bulk: bool, limits: Limits) -> None:
    """Find or create the stats `parsed` names in the account (within the stat limit) and add its
    points to `batch`."""
    wanted: dict[str, str] = {}
    for _, names, kind, _, _ in parsed:
        for name in names:
            wanted.setdefault(name, kind)  # a stat's kind is fixed by its first datum
    stats = _stat_cache(db).lookup(account, wanted)
    missing = {n: k for n, k in wanted.items() if n not in stats}
    if missing:
        found = ensure_stats(db, account["id"], missing, now, max_stats=limits.max_stats)
        stats.update(found)
        _stat_cache(db).store(account, found)
        if len(found) < len(missing):  # the stat limit: items naming a stat it left uncreated are refused
            if not bulk:
                raise Forbidden(stat_limit_msg(limits))
            kept, over = [], []
            for entry in parsed:
                if all(name in stats for name in entry[1]):
                    kept.append(entry)
                else:
                    over.append({"index": entry[0], "msg": stat_limit_msg(limits)})
            # Both lists are in index order, and any parse refusal left out lies after the ones kept.
            result.rejected = sorted(result.rejected + over, key=lambda r: r["index"])[:MAX_REJECTED_SHOWN]
            result.rejected_count += len(over)
            parsed = kept
    tz = account["timezone"]
    for _, names, _, number, t in parsed:
        for name in names:
            batch.add(stats[name]["id"], t, number, tz)
    result.accepted = len(parsed)
    result.created = [s for s in stats.values() if s.get("new")]


def record_ez(db, ezkey, items: list[EzItem], now: int, *, bulk: bool = False,
              limits: Limits = DEFAULT_LIMITS) -> IngestResult:
    """Validate every item, create unknown stats, then commit all points in one transaction.

    A single (non-bulk) item that fails validation raises Invalid and stores nothing. In bulk,
    bad items are listed as rejected and the good ones are stored.
    """
    if not isinstance(ezkey, str) or not ezkey.strip():
        raise Invalid("missing ezkey")
    if not is_text(ezkey):
        raise Invalid("ezkey is not valid text (a lone UTF-16 surrogate)")
    result = IngestResult()
    parsed = _parse_items(items, now, result, bulk=bulk, limits=limits)
    account = db.read(lambda tx: aq.account_by_ezkey(tx, ezkey.strip()))
    _check_ez_account(account)
    if not parsed:
        return result
    batch = RollupBatch()
    _add_to_batch(db, account, parsed, now, batch, result, bulk=bulk, limits=limits)
    db.writer.write(batch)
    return result


def record_for_accounts(db, groups: list[tuple[dict, list[EzItem]]], now: int, *,
                        limits: Limits = DEFAULT_LIMITS) -> list[IngestResult]:
    """The listeners' flush: items for accounts already identified (by --account or by metrics
    token), validated as bulk EZ items are, committed for every account in one transaction. An
    account whose items are refused (its stat limit, sums out of range) never costs the others theirs."""
    results, batches = [], []
    for account, items in groups:
        result = IngestResult()
        batch = RollupBatch()
        parsed = _parse_items(items, now, result, bulk=True, limits=limits)
        if parsed:
            try:
                _add_to_batch(db, account, parsed, now, batch, result, bulk=True, limits=limits)
            except Unavailable:
                raise
            except EyrieError as exc:
                _refuse_all(result, items, exc.msg)
                batch = RollupBatch()
        results.append(result)
        batches.append(batch)
    combined = RollupBatch()
    for batch in batches:
        combined.merge(batch)  # copies: each account's rows stay intact for a write on its own
    try:
        db.writer.write(combined)
    except Invalid:  # nothing was committed: write account by account, refusing only the one at fault
        for batch, result, (_, items) in zip(batches, results, groups, strict=True):
            try:
                db.writer.write(batch)
            except Invalid as exc:
                _refuse_all(result, items, exc.msg)
    return results


def _refuse_all(result: IngestResult, items: list, msg: str) -> None:
    done = {r["index"] for r in result.rejected}
    for i in range(len(items)):
        if i not in done:
            result.reject(i, msg)
    result.accepted = 0
    result.created = []


def record_classic(db, ukey, key, number, t, now: int, *, default_count: bool = False,
                   limits: Limits = DEFAULT_LIMITS) -> None:
    """Classic API: the stat must exist and belong to the account holding ukey."""
    if not ukey or not key or not isinstance(ukey, str) or not isinstance(key, str):
        raise Forbidden(INVALID_KEYS)

    if (number is None or number == "") and default_count:
        value = 1.0
    else:
        value = parse_number(number, "count" if default_count else "value")
    ts = parse_time(t, now, limits)
    stat = db.read(lambda tx: sq.classic_stat(tx, key))
    if stat is None or not hmac.compare_digest(stat["ukey"], ukey):
        raise Forbidden(INVALID_KEYS)
    batch = RollupBatch()
    batch.add(stat["id"], ts, value, stat["timezone"])
    db.writer.write(batch)
