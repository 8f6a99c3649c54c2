"""Recording numbers: StatHat's EZ API (by name, bulk too) and classic API (by key)."""

from __future__ import annotations

import hmac
import weakref
from dataclasses import dataclass, field

from app.errors import EyrieError, Forbidden, Invalid, Unavailable
from app.ingest_rules import MAX_FUTURE, expand_names, kind_and_number, parse_number, parse_time
from app.interactors.stats import ensure_stats
from app.rollups import MINUTE, MinuteBatch
from app.storage import accounts as aq
from app.storage import stats as sq
from app.storage.writer import AccountChanged

INVALID_KEYS = "invalid keys"
# Integers up to this size are exact as floats: larger ones take the general path.
_EXACT_INT = 2**53


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
            parsed.append(_parse_item(item.stat, item.count, item.value, item.t, now))
        except EyrieError as exc:
            if not bulk:
                raise
            result.rejected.append({"index": index, "msg": exc.msg})
    return _record(db, ezkey.strip(), parsed, result, now)


def record_ez_json(db, ezkey, data: list, now: int) -> IngestResult:
    """The JSON bulk format: `data` as decoded. Like record_ez(bulk=True), with a fast path for
    the common item (a checked plain name, a count or value that is an int or a finite float, t an
    int or absent); anything else goes through the general rules, so both give the same answer."""
    if not isinstance(ezkey, str) or not ezkey.strip():
        raise Invalid("missing ezkey")
    parsed = []
    result = IngestResult()
    plain = _plain_names
    latest = now + MAX_FUTURE
    append = parsed.append
    for index, entry in enumerate(data):
        if entry.__class__ is dict:
            stat, count, value, t = entry.get("stat"), entry.get("count"), entry.get("value"), entry.get("t")
            names = plain.get(stat) if stat.__class__ is str else None
            if names is not None and (t is None or (t.__class__ is int and 0 < t <= latest)):
                if value is None and count is not None:
                    kind, number = "counter", count
                elif count is None and value is not None:
                    kind, number = "value", value
                else:
                    kind = None
                if kind is not None:
                    cls = number.__class__
                    if (cls is float and number - number == 0.0) or (cls is int and -_EXACT_INT < number < _EXACT_INT):
                        append((names, kind, float(number), now if t is None else t))
                        continue
        else:
            stat = count = value = t = None
        try:
            append(_parse_item(stat, count, value, t, now))
        except EyrieError as exc:
            result.rejected.append({"index": index, "msg": exc.msg})
    return _record(db, ezkey.strip(), parsed, result, now)


def _parse_item(stat, count, value, t, now: int) -> tuple:
    if stat is None or stat == "":
        raise Invalid("missing stat")
    names = expand_names(stat)
    kind, number = kind_and_number(count, value)
    ts = parse_time(t, now)
    if len(names) == 1 and names[0] == stat and len(_plain_names) < _PLAIN_NAMES_MAX:
        _plain_names[stat] = names  # checked once: the fast path trusts it from now on
    return names, kind, number, ts


def _record(db, ezkey: str, parsed: list, result: IngestResult, now: int) -> IngestResult:
    caches = _of(db)
    account = caches.accounts.get(ezkey)
    for _ in range(3):
        fresh = account is None
        if fresh:
            account = db.read(lambda tx: aq.account_by_ezkey(tx, ezkey))
            _check_ez_account(account)
            caches.accounts.store(ezkey, account)
        else:
            _check_ez_account(account)
        if not parsed:
            return result
        try:
            return _write(db, ezkey, account, parsed, result, now, fresh=fresh)
        except AccountChanged:
            caches.accounts.drop(ezkey)
            account = None  # read it again: refused now, or written against the account as it is
    raise Unavailable("the account kept changing; try again")


def _write(db, ezkey: str, account: dict, parsed: list, result: IngestResult, now: int, *, fresh: bool):
    wanted: dict[str, str] = {}
    for names, kind, _, _ in parsed:
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
        found = ensure_stats(db, account["id"], missing, now)
        stats.update(found)
        cache.store(account, found)
    batch = MinuteBatch()
    rows = batch.rows
    for names, _, number, t in parsed:
        for name in names:
            key = (stats[name]["id"], MINUTE, t - t % MINUTE)
            row = rows.get(key)
            if row is None:
                rows[key] = [number, 1, number, number]
            else:
                row[0] += number
                row[1] += 1
                if number < row[2]:
                    row[2] = number
                if number > row[3]:
                    row[3] = number
    batch.points = len(parsed)
    db.writer.write(batch, account["id"], ezkey, account["stats_gen"])
    result.accepted = len(parsed)
    result.created = [s for s in stats.values() if s.get("new")]
    return result


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
    batch = MinuteBatch()
    batch.add(stat["id"], ts, value)
    db.writer.write(batch)
