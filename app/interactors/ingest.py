"""Recording numbers: StatHat's EZ API (by name, bulk too) and classic API (by key)."""

from __future__ import annotations

import hmac
import weakref
from dataclasses import dataclass, field

from app.errors import EyrieError, Forbidden, Invalid, Unavailable
from app.ingest_rules import (
    DAY,
    DEFAULT_LIMITS,
    MAX_NUMBER,
    Limits,
    expand_names,
    is_text,
    kind_and_number,
    parse_number,
    parse_time,
)
from app.interactors.stats import ensure_stats
from app.rollups import MINUTE, MinuteBatch, accumulate
from app.storage import accounts as aq
from app.storage import stats as sq
from app.storage.writer import AccountChanged

INVALID_KEYS = "invalid keys"
# A reply lists this many rejected items (and counts all of them): never larger than the request.
MAX_REJECTED_SHOWN = 100


class StatCache:
    """name -> stat per account, valid for one `stats_gen` of the account (bumped in the same
    transaction as any rename, trash, restore or purge), so a hit is never stale: the account
    row the entry is checked against is read on every post (or cached, and then checked again by
    the writer inside the committing transaction). Saves the per-post stat query (most of a bulk post's reads)."""

    MAX_ENTRIES = 200_000

    def __init__(self):
        self._by_account: dict[int, tuple[int, dict[str, dict]]] = {}  # account id -> (stats_gen, name -> stat)
        self._size = 0

    def _entry(self, account: dict):
        entry = self._by_account.get(account["id"])
        return entry if entry is not None and entry[0] == account["stats_gen"] else None

    def lookup(self, account: dict, wanted) -> dict[str, dict]:
        entry = self._entry(account)
        if entry is None:
            return {}
        names = entry[1]
        return {n: names[n] for n in wanted if n in names}

    def known(self, account: dict) -> dict[str, dict]:
        """name -> stat ({"id", "kind"}) of every stat known in this generation of the account, as
        stored (the one-pass path reads it per point: no copy; do not change it)."""
        entry = self._entry(account)
        return {} if entry is None else entry[1]

    def store(self, account: dict, stats: dict[str, dict]) -> None:
        if self._size > self.MAX_ENTRIES:
            self._by_account, self._size = {}, 0
        entry = self._entry(account)
        if entry is None:
            entry = self._by_account[account["id"]] = (account["stats_gen"], {})
        names = entry[1]
        for name, stat in stats.items():
            names[name] = {"id": stat["id"], "kind": stat["kind"]}
        self._size += len(stats)


class AccountCache:
    """EZ key -> account row, per process. Never trusted on its own: the writer checks the key, the
    EZ API switch and the stats generation again inside the transaction that commits the points
    (writer.AccountChanged), so a stale entry costs one retry and is never acted on."""

    MAX_ENTRIES = 10_000

    def __init__(self):
        self._by_key: dict[str, dict] = {}

    def get(self, ezkey: str) -> dict | None:
        return self._by_key.get(ezkey)

    def store(self, ezkey: str, account: dict) -> None:
        if len(self._by_key) >= self.MAX_ENTRIES:
            self._by_key = {}
        self._by_key[ezkey] = account

    def drop(self, ezkey: str) -> None:
        self._by_key.pop(ezkey, None)


class _Caches:
    __slots__ = ("stats", "accounts")

    def __init__(self):
        self.stats, self.accounts = StatCache(), AccountCache()


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Raw stat names already checked (check_name(raw) == raw, no "~"): the same in every account.
_plain_names: dict[str, str] = {}
_PLAIN_NAMES_MAX = 200_000


def _of(db) -> _Caches:
    cache = _caches.get(db)
    if cache is None:
        cache = _caches.setdefault(db, _Caches())
    return cache


def _stat_cache(db) -> StatCache:
    return _of(db).stats


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
            parsed.append((index, *_parse_item(item.stat, item.count, item.value, item.t, now, limits)))
        except EyrieError as exc:
            if not bulk:
                raise
            result.reject(index, exc.msg)
    return parsed


def record_ez_json(db, ezkey, data: list, now: int, *, limits: Limits = DEFAULT_LIMITS) -> IngestResult:
    """The JSON bulk format: `data` as decoded. Like record_ez(bulk=True), with a fast path for
    the common item (an already checked plain name, a count or value that is an int or a finite
    float within bounds, t an int within bounds or absent); anything else goes through the
    general rules, so both give the same answer."""
    _check_ezkey(ezkey)
    ezkey = ezkey.strip()
    known = _record_known(db, ezkey, data, now, limits)
    if known is not None:
        return known
    parsed = []
    result = IngestResult()
    plain = _plain_names
    earliest, latest = now - limits.max_backdate_days * DAY, now + limits.max_future_seconds
    append = parsed.append
    for index, entry in enumerate(data):
        if entry.__class__ is dict:
            stat, count, value, t = entry.get("stat"), entry.get("count"), entry.get("value"), entry.get("t")
            names = plain.get(stat) if stat.__class__ is str else None
            if names is not None and (t is None or (t.__class__ is int and earliest <= t <= latest)):
                if value is None and count is not None:
                    kind, number = "counter", count
                elif count is None and value is not None:
                    kind, number = "value", value
                else:
                    kind = None
                cls = number.__class__ if kind is not None else None
                if (cls is float or cls is int) and -MAX_NUMBER <= number <= MAX_NUMBER:  # NaN fails this
                    append((index, names, kind, float(number), now if t is None else t))
                    continue
        else:  # no exception per item: refusing a bad body costs little per byte
            result.reject(index, NOT_AN_OBJECT_MSG)
            continue
        try:
            parsed.append((index, *_parse_item(stat, count, value, t, now, limits)))
        except EyrieError as exc:
            result.reject(index, exc.msg)
    return _record(db, ezkey, parsed, result, now, limits, True)


def _record_known(db, ezkey: str, data: list, now: int, limits: Limits) -> IngestResult | None:
    """The usual bulk body in one pass: the account cached, every item a plain name of a stat the
    cache knows in the account's current generation, a count or a value in bounds, t absent or an
    int in bounds. Its minute rows go straight into the batch, with no per-item tuple and no second
    and third loop (stat lookup, batch.add): in-process 0.60x the general path's time per point,
    in the server 1.12x bulk points/s (bench/README.md, eighth session). None for
    anything else (one item the rules must judge, an unknown stat or account, the account changed
    under the cache): record_ez_json then does it all the general way, with the same answer."""
    if not data:
        return None
    caches = _of(db)
    account = caches.accounts.get(ezkey)
    if account is None:
        return None
    stat_of = caches.stats.known(account).get
    plain = _plain_names
    earliest, latest = now - limits.max_backdate_days * DAY, now + limits.max_future_seconds
    batch = MinuteBatch()
    rows = batch.rows
    minute, bound = MINUTE, MAX_NUMBER  # locals: a global's lookup per point shows
    for entry in data:
        if entry.__class__ is not dict:
            return None
        stat, count, value, t = entry.get("stat"), entry.get("count"), entry.get("value"), entry.get("t")
        if stat.__class__ is not str or stat not in plain:
            return None
        known = stat_of(stat)
        if known is None:
            return None
        if t is None:
            t = now
        elif t.__class__ is not int or not earliest <= t <= latest:
            return None
        number = count if value is None else value if count is None else None
        cls = number.__class__
        if not ((cls is float or cls is int) and -bound <= number <= bound):  # NaN fails this
            return None
        number = float(number)
        accumulate(rows, (known["id"], minute, t - t % minute), number, 1, number, number)
    batch.points = len(data)
    try:
        db.writer.write(batch, account["id"], ezkey, account["stats_gen"])
    except AccountChanged:
        caches.accounts.drop(ezkey)
        return None  # the general path reads the account again: refused now, or written as it is
    return IngestResult(accepted=len(data))


def _check_ezkey(ezkey) -> None:
    if not isinstance(ezkey, str) or not ezkey.strip():
        raise Invalid("missing ezkey")
    if not is_text(ezkey):
        raise Invalid("ezkey is not valid text (a lone UTF-16 surrogate)")


def _parse_item(stat, count, value, t, now: int, limits: Limits) -> tuple:
    if stat is None or stat == "":
        raise Invalid("missing stat")
    names = expand_names(stat)
    kind, number = kind_and_number(count, value)
    ts = parse_time(t, now, limits)
    if len(names) == 1 and names[0] == stat and len(_plain_names) < _PLAIN_NAMES_MAX:
        _plain_names[stat] = names  # checked once: the fast path trusts it from now on
    return names, kind, number, ts


def _record(db, ezkey: str, parsed: list, result: IngestResult, now: int, limits: Limits,
            bulk: bool) -> IngestResult:
    caches = _of(db)
    account = caches.accounts.get(ezkey)
    for _ in range(3):
        fresh = account is None
        if fresh:
            account = db.read(lambda tx: aq.account_by_ezkey(tx, ezkey))
            _check_ez_account(account)
            caches.accounts.store(ezkey, account)
        if not parsed:
            return result
        try:
            return _write(db, ezkey, account, parsed, result, now, limits, bulk, fresh=fresh)
        except AccountChanged:
            caches.accounts.drop(ezkey)
            account = None  # read it again: refused now, or written against the account as it is
    raise Unavailable("the account kept changing; try again")


def _write(db, ezkey: str, account: dict, parsed: list, result: IngestResult, now: int, limits: Limits,
           bulk: bool, *, fresh: bool) -> IngestResult:
    batch = _add_to_batch(db, account, parsed, now, result, bulk=bulk, limits=limits, fresh=fresh)
    db.writer.write(batch, account["id"], ezkey, account["stats_gen"])
    return result


def _add_to_batch(db, account: dict, parsed: list, now: int, result: IngestResult, *, bulk: bool,
                  limits: Limits, fresh: bool = True) -> MinuteBatch:
    """Find or create the stats `parsed` names in the account (within the stat limit); the minute
    rows of its points. fresh=False: the account row may be stale, so no stat is created from it."""
    wanted: dict[str, str] = {}
    for _, names, kind, _, _ in parsed:
        for name in names:
            if name not in wanted:
                wanted[name] = kind  # a stat's kind is fixed by its first datum
    cache = _stat_cache(db)
    stats = cache.lookup(account, wanted)
    if len(stats) < len(wanted):
        if not fresh:
            # Creating stats acts on the account at once: never on a cached (maybe stale) row.
            raise AccountChanged()
        missing = {n: k for n, k in wanted.items() if n not in stats}
        found = ensure_stats(db, account["id"], missing, now, max_stats=limits.max_stats)
        stats.update(found)
        cache.store(account, found)
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
    batch = MinuteBatch()
    for _, names, _, number, t in parsed:
        for name in names:
            batch.add(stats[name]["id"], t, number)
    batch.points = len(parsed)   # a tilde item is one point however many stats it fans out to
    result.accepted = len(parsed)
    result.created = [s for s in stats.values() if s.get("new")]
    return batch


def record_ez(db, ezkey, items: list[EzItem], now: int, *, bulk: bool = False,
              limits: Limits = DEFAULT_LIMITS) -> IngestResult:
    """Validate every item, create unknown stats, then commit all points in one transaction.

    A single (non-bulk) item that fails validation raises Invalid and stores nothing. In bulk,
    bad items are listed as rejected and the good ones are stored.
    """
    _check_ezkey(ezkey)
    result = IngestResult()
    parsed = _parse_items(items, now, result, bulk=bulk, limits=limits)
    return _record(db, ezkey.strip(), parsed, result, now, limits, bulk)


def record_for_accounts(db, groups: list[tuple[dict, list[EzItem]]], now: int, *,
                        limits: Limits = DEFAULT_LIMITS) -> list[IngestResult]:
    """The listeners' flush: items for accounts already identified (by --account or by metrics
    token), validated as bulk EZ items are, committed for every account in one transaction. An
    account whose items are refused (its stat limit, sums out of range) never costs the others theirs."""
    results, batches = [], []
    for account, items in groups:
        result = IngestResult()
        batch = MinuteBatch()
        parsed = _parse_items(items, now, result, bulk=True, limits=limits)
        if parsed:
            try:
                batch = _add_to_batch(db, account, parsed, now, result, bulk=True, limits=limits)
            except Unavailable:
                raise
            except EyrieError as exc:
                _refuse_all(result, items, exc.msg)
                batch = MinuteBatch()
        results.append(result)
        batches.append(batch)
    combined = MinuteBatch()
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
    batch = MinuteBatch()
    batch.add(stat["id"], ts, value)
    db.writer.write(batch)
