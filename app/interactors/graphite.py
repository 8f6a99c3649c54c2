"""The Graphite-compatible read API's use cases: find metrics, evaluate render targets over an
account's stats. Parsing and the functions are pure (app/graphite); this module reads points."""

from __future__ import annotations

from app.errors import Invalid, NotFound
from app.graphite import functions, paths
from app.graphite.series import TimeSeries, choose_step, fetch_window, limit_points
from app.graphite.targets import TargetError, parse_target
from app.graphite.timeparse import parse_time
from app.rollups import DAY
from app.storage import accounts as aq
from app.storage import points as pq
from app.storage import stats as sq

MAX_TARGETS = 50
MAX_SERIES = 500  # series fetched by one request, over all its targets
MAX_FIND = 10000


def _account(tx, token: str) -> dict:
    account = aq.account_by_token(tx, token or "")
    if account is None:
        raise NotFound("invalid access token")
    return account


def _stats(tx, account_id: int) -> dict[str, dict]:
    return sq.live_stat_index(tx, account_id)


def check_token(db, token: str) -> None:
    db.read(lambda tx: _account(tx, token))


def function_definitions() -> dict:
    return functions.definitions()


def find(db, token: str, query: str, *, completer: bool = False) -> list[tuple[str, bool]]:
    query = (query or "").strip()
    if completer:
        query = query.replace("..", "*.")
        if not query.endswith("*"):
            query += "*"

    def tx_fn(tx):
        account = _account(tx, token)  # a bad token is a 404 whatever else is wrong
        if not query:
            raise Invalid("query is required")
        return list(_stats(tx, account["id"]))

    return paths.find_nodes(db.read(tx_fn), query)[:MAX_FIND]


def expand(db, token: str, queries: list[str], *, leaves_only: bool = False) -> list[str]:
    """The paths the queries match, sorted, once each."""
    if not queries:
        raise Invalid("query is required")
    found = set()
    for query in queries[:MAX_TARGETS]:
        found |= {p for p, leaf in find(db, token, query) if leaf or not leaves_only}
    return sorted(found)[:MAX_FIND]


def parse_window(raw_from, raw_until, now: int, tz: str = "UTC") -> tuple[int, int]:
    try:
        start = parse_time(raw_from, now, now - 86400, tz)
        end = parse_time(raw_until, now, now, tz)
    except (ValueError, KeyError) as exc:
        raise Invalid(str(exc)) from None
    end = min(end, now)  # as whisper: nothing is stored after now
    if start >= end:
        raise Invalid("from must be before until")
    return start, end


def _max_points(raw) -> int | None:
    if raw in (None, ""):
        return None
    try:
        n = int(float(raw))
    except ValueError:
        raise Invalid("maxDataPoints must be a whole number") from None
    if n < 1:
        raise Invalid("maxDataPoints must be at least 1")
    return n


def render(db, token: str, targets: list[str], now: int, *, raw_from=None, raw_until=None, max_points=None,
           tz: str = "UTC") -> list[TimeSeries]:
    """Every target's series, in order. Raises Invalid for bad targets (naming unknown functions)."""
    targets = [t for t in targets if t and t.strip()]
    if not targets:
        return []
    if len(targets) > MAX_TARGETS:
        raise Invalid(f"at most {MAX_TARGETS} targets per request")
    trees = []
    for t in targets:
        try:
            tree = parse_target(t)
            functions.check(tree)
        except TargetError as exc:
            raise Invalid(str(exc)) from None
        trees.append(tree)
    limit = _max_points(max_points)
    start, end = parse_window(raw_from, raw_until, now, tz)
    step = choose_step(start, end, now, limit)

    def tx_fn(tx):
        account = _account(tx, token)
        index: dict = {}
        fetched = [0]

        def fetch(pattern: str, f: int, u: int) -> list[TimeSeries]:
            if paths.has_wildcard(pattern):
                if "all" not in index:
                    index["all"] = _stats(tx, account["id"])
                stats = index["all"]
                names = paths.match_paths(stats, pattern)
            else:  # one name: one indexed lookup, however many stats the account has
                stats = {n: s for n, s in sq.stats_by_names(tx, account["id"], [pattern]).items()
                         if s.get("deleted_at") is None}
                names = list(stats)
            fetched[0] += len(names)
            if fetched[0] > MAX_SERIES:
                raise Invalid(f"the targets match more than {MAX_SERIES} series: narrow them")
            first, until = fetch_window(f, min(u, now), step)
            out = []
            for name in names:
                stat = stats[name]
                # Day rows start at the account's local midnight: place each on its UTC day.
                read_from = first - DAY if step == DAY else first
                values: list = [None] * ((until - first) // step)
                rows = pq.read_rollup_sums(tx, stat["id"], step, read_from, until)
                counter = stat["kind"] == "counter"
                if step != DAY:  # the hot loop (10,080 rows for a week): rows lie inside the window
                    if counter:
                        for ts, total, n in rows:
                            if n:
                                values[(ts - first) // step] = float(total)
                    else:
                        for ts, total, n in rows:
                            if n:
                                values[(ts - first) // step] = float(total) / n
                else:
                    for ts, total, n in rows:
                        i = (round(ts / DAY) * DAY - first) // step
                        if 0 <= i < len(values) and n:
                            values[i] = float(total) if counter else float(total) / n
                out.append(TimeSeries(name, first, until, step, values, path_expression=pattern))
            return out

        ctx = functions.Context(start, end, fetch)
        series: list[TimeSeries] = []
        for tree in trees:
            try:
                result = functions.evaluate(tree, ctx)
            except TargetError as exc:
                raise Invalid(str(exc)) from None
            if not isinstance(result, list):
                raise Invalid(f"a target must give series, not {result!r}")
            series += result
        return series

    series = db.read(tx_fn)
    if limit:
        time_range = max((s.end for s in series), default=0) - min((s.start for s in series), default=0)
        series = [limit_points(s, limit, time_range) for s in series]
    return series
