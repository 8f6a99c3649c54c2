"""StatHat's export API: /x/TOKEN/statlist, /stat, /data, DELETE /stats/ID."""

from __future__ import annotations

from app.errors import Invalid, NotFound
from app.interactors.reading import minute_span, stat_buckets
from app.interactors.stats import parse_stat_id, public_stat
from app.params import parse_int
from app.storage import accounts as aq
from app.storage import stats as sq
from app.timeframes import MAX_START, Span, Timeframe, parse_span, parse_timeframe

STATLIST_PAGE = 10000
MAX_OFFSET = 10**9   # far past any account's stats; bigger is refused, never sent to SQL
MAX_DATASETS = 5  # StatHat only cared about the first five stats requested


def _account(tx, token: str) -> dict:
    return _known(aq.account_by_token(tx, token or ""))


def _known(account: dict | None) -> dict:
    if account is None:
        raise NotFound("invalid access token")
    return account


def stat_list(db, token: str, offset=None) -> list[dict]:
    offset = parse_int(offset, field="offset", lo=0, hi=MAX_OFFSET, default=0)

    def tx_fn(tx):
        account = _account(tx, token)
        return sq.list_stats(tx, account["id"], offset=offset, limit=STATLIST_PAGE)

    return [public_stat(s) for s in db.read(tx_fn)]


def stat_by_name(db, token: str, name: str) -> dict:
    def tx_fn(tx):
        account = _account(tx, token)
        stat = sq.stat_by_name(tx, account["id"], name or "", with_last=True)
        if stat is None or stat["deleted_at"] is not None:
            raise NotFound("no stat with that name")
        return stat

    return public_stat(db.read(tx_fn))


def _timeframe(t: str | None, summary: str | None) -> Timeframe:
    if summary:
        # A daily summary for the period in whole days; the interval is always one day.
        return Timeframe(parse_span(summary), Span(1, "d"))
    return parse_timeframe(t or "1w1d")


def _start(raw) -> int | None:
    if raw in (None, ""):
        return None
    return parse_int(raw, field="start", lo=1, hi=MAX_START, decimals=True, label="start (unix seconds)")


def datasets(db, token: str, ids: list[str], now: int, t: str | None = None, start=None,
             summary: str | None = None) -> list[dict]:
    """One dataset per requested stat, in the order asked; empty buckets have value 0."""
    tf = _timeframe(t, summary)
    start_ts = _start(start)
    stat_ids = [parse_stat_id(i) for i in ids[:MAX_DATASETS] if i]
    if not stat_ids:
        raise Invalid("name at least one stat id")

    # A minute timeframe's rows are read with the token check, in one round trip on MariaDB (a
    # poll's latency is its round trips), over the span the timeframe has in UTC: the account's
    # zone is not known before that read. They are used only if the account's own zone gives the
    # same span; otherwise stat_buckets reads its own.
    span = minute_span(tf, now, "UTC", start_ts)

    def tx_fn(tx):
        account, stats, minutes = sq.stats_by_token(tx, token or "", stat_ids, span)
        _known(account)
        tz = account["timezone"]
        if minutes is not None and minute_span(tf, now, tz, start_ts) != span:
            minutes = None
        out = []
        for stat_id in stat_ids:
            stat = stats.get(stat_id)
            if stat is None or stat["deleted_at"] is not None:
                raise NotFound(f"no stat {stat_id}")
            ahead = None if minutes is None else minutes.get(stat_id, [])
            rows = stat_buckets(tx, stat, tf, now, tz, start_ts, ahead)
            points = []
            for b in rows:
                v = b.value(stat["kind"])
                points.append({"time": b.time, "value": 0 if v is None else v, "count": b.n})
            out.append({"id": str(stat["id"]), "name": stat["name"], "timeframe": tf.label, "points": points})
        return out

    return db.read(tx_fn)


def delete_stat(db, token: str, raw_id: str, now: int) -> dict:
    stat_id = parse_stat_id(raw_id)

    def tx_fn(tx):
        account = _account(tx, token)
        stat = sq.stat_by_id(tx, account["id"], stat_id)
        if stat is None or stat["deleted_at"] is not None:
            raise NotFound("no such stat")
        sq.update_stat(tx, account["id"], stat_id, deleted_at=now)

    db.run(tx_fn)
    return {"msg": "stat deleted."}
