"""Importing history (whisper files, StatHat dumps, Eyrie downloads) into an account.

An import sets the buckets it covers instead of adding to them, so running it again leaves the
same data; a bucket that already held live data in that range is replaced by the imported one.
Everything is checked before anything is written (see check_series), and each stat is written in
one transaction.
"""

from __future__ import annotations

from app import keys
from app.errors import Invalid, NotFound
from app.importers import Series, finest_resolution
from app.ingest_rules import MAX_NUMBER, check_name
from app.rollups import DAY, RESOLUTIONS, accumulate, bucket_start
from app.storage import accounts as aq
from app.storage import points as pq
from app.storage import stats as sq


def import_account(db, email: str) -> dict:
    account = db.read(lambda tx: aq.account_by_email(tx, (email or "").strip().lower()))
    if account is None:
        raise NotFound(f"no account {email!r}")
    return account


def check_series(db, account: dict, series: Series, now: int) -> None:
    """Raise Invalid when the series cannot be imported as it is."""
    check_name(series.name)
    if series.kind not in ("counter", "value"):
        raise Invalid(f"kind must be counter or value, not {series.kind!r}")
    # History may be as old as it is (no back-date limit, unlike live ingest), but not from the future,
    # and every number stays in the range live ingest allows, so sums stay finite.
    for t, total, n, lo, hi, _ in series.buckets:
        if t <= 0 or t > now + DAY:
            raise Invalid(f"{series.name}: time {t} is not a plausible unix time in seconds")
        if not all(abs(v) <= MAX_NUMBER for v in (total / max(n, 1), lo, hi)):
            raise Invalid(f"{series.name}: a value at {t} is outside -1e15 .. 1e15")
    stat = db.read(lambda tx: sq.stat_by_name(tx, account["id"], series.name.strip()))
    if stat is not None and stat["kind"] != series.kind:
        raise Invalid(f"the stat {series.name!r} exists as a {stat['kind']} stat; this file holds {series.kind}s")
    if stat is not None and stat["deleted_at"] is not None:
        raise Invalid(f"the stat {series.name!r} is in the trash: restore or purge it first")


def rollup_rows(stat_id: int, series: Series, tz: str) -> list[tuple]:
    """Each bucket fills its own resolution and every coarser one (a 1-hour whisper point makes an
    hour row and adds to its day row; a 10-second one adds to its minute row)."""
    acc: dict[tuple[int, int, int], list] = {}
    for t, total, n, lo, hi, width in series.buckets:
        finest = finest_resolution(width)
        for res in RESOLUTIONS:
            if res < finest:
                continue
            accumulate(acc, (stat_id, res, bucket_start(t, res, tz)), total, n, lo, hi)
    return [(*k, *acc[k]) for k in sorted(acc)]


def import_series(db, account: dict, series: Series, now: int) -> int:
    """Write one checked series; the number of rollup rows set."""
    name = series.name.strip()

    def tx_fn(tx):
        stat = sq.stat_by_name(tx, account["id"], name)
        if stat is None:
            stat_id = sq.insert_stat(tx, account["id"], name, series.kind, keys.classic_key(), keys.embed_key(), now)
        else:
            stat_id = stat["id"]
        rows = rollup_rows(stat_id, series, account["timezone"])
        pq.replace_rollups(tx, rows)
        return len(rows)

    return db.run(tx_fn)
