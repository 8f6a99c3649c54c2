"""The Graphite read API's pure parts: path patterns, times, the target parser, functions."""

from __future__ import annotations

import pytest

from app.graphite import functions, paths
from app.graphite.series import TimeSeries, choose_step, fetch_window, limit_points
from app.graphite.targets import Call, Const, Path, TargetError, parse_target
from app.graphite.timeparse import parse_time

NOW = 1795534200  # 2026-11-24 15:30:00 UTC
NAMES = ["web.a.hits", "web.b.hits", "web.b.errors", "web.b", "db1.rt", "db2.rt", "db10.rt", "cpu"]


def test_patterns():
    assert paths.match_paths(NAMES, "web.*.hits") == ["web.a.hits", "web.b.hits"]
    assert paths.match_paths(NAMES, "web.b.{hits,errors}") == ["web.b.errors", "web.b.hits"]
    assert paths.match_paths(NAMES, "db[0-9].rt") == ["db1.rt", "db2.rt"]
    assert paths.match_paths(NAMES, "db?.rt") == ["db1.rt", "db2.rt"]
    assert paths.match_paths(NAMES, "*") == ["cpu"]
    assert paths.match_paths(NAMES, "web.*") == ["web.b"]


def test_find_lists_branches_and_leaves_at_the_query_depth():
    assert paths.find_nodes(NAMES, "*") == [("cpu", True), ("db1", False), ("db10", False), ("db2", False),
                                            ("web", False)]
    assert paths.find_nodes(NAMES, "web.*") == [("web.a", False), ("web.b", False), ("web.b", True)]


@pytest.mark.parametrize("text,expected", [
    ("now", NOW), ("-24h", NOW - 86400), ("-7d", NOW - 7 * 86400), ("-5min", NOW - 300), ("-30s", NOW - 30),
    ("-2w", NOW - 14 * 86400), ("-1mon", NOW - 30 * 86400), ("-1y", NOW - 365 * 86400), ("now-1h", NOW - 3600),
    ("1700000000", 1700000000), ("15:30_20261124", NOW), ("20261124", NOW - 15 * 3600 - 1800),
    ("today", NOW - 15 * 3600 - 1800), ("yesterday", NOW - 39 * 3600 - 1800), ("10:00", NOW - 5 * 3600 - 1800),
])
def test_time_forms(text, expected):
    assert parse_time(text, NOW, default=0) == expected


@pytest.mark.parametrize("text", ["-5m", "soon", "-h", "25:99_20261124"])
def test_bad_times(text):
    with pytest.raises(ValueError):
        parse_time(text, NOW, default=0)


def test_target_parser():
    assert parse_target("a.b.c") == Path("a.b.c")
    assert parse_target('sumSeries(a.{b,c}.d, x.*)') == Call("sumSeries", (Path("a.{b,c}.d"), Path("x.*")), {})
    assert parse_target('summarize(a, "1h", "max", alignToFrom=true)') == Call(
        "summarize", (Path("a"), Const("1h"), Const("max")), {"alignToFrom": Const(True)})
    assert parse_target("scale(a, -1.5e2)").args[1] == Const(-150.0)
    assert parse_target("aliasByNode(a.b, 0, -1)").args[1:] == (Const(0), Const(-1))
    for bad in ("sumSeries(a", 'alias(a, "x)', "a b", "f(x=1, y)", ""):
        with pytest.raises(TargetError):
            parse_target(bad)


def test_unknown_functions_are_all_named():
    with pytest.raises(functions.UnknownFunction) as exc:
        functions.check(parse_target("sumSeries(nope(a), alsoNope(b), scale(c, 2))"))
    assert exc.value.names == ["alsoNope", "nope"]
    assert "alsoNope, nope" in str(exc.value)


def test_fetch_window_is_whispers():
    assert fetch_window(NOW - 600, NOW, 60) == (NOW - 540, NOW + 60)
    assert fetch_window(NOW - 601, NOW + 1, 60) == (NOW - 600, NOW + 60)


def test_choose_step():
    assert choose_step(NOW - 86400, NOW, NOW) == 60
    assert choose_step(NOW - 8 * 86400, NOW, NOW) == 3600
    assert choose_step(NOW - 400 * 86400, NOW, NOW) == 86400
    assert choose_step(NOW - 7 * 86400, NOW, NOW, max_points=1000) == 60  # 10,080 minutes >= 1000
    assert choose_step(NOW - 7 * 86400, NOW, NOW, max_points=100) == 3600  # 168 hours >= 100
    assert choose_step(NOW - 3600, NOW, NOW, max_points=1000) == 60


def series(name, values, start=0, step=60, path=None):
    return TimeSeries(name, start, start + step * len(values), step, list(values), path_expression=path or name)


def ctx_for(table):
    def fetch(pattern, start, end):
        return [s.copy(path_expression=pattern) for s in table if paths.compile_pattern(pattern).match(s.name)]
    return functions.Context(600, 1200, fetch)


def run(target, table):
    return functions.evaluate(parse_target(target), ctx_for(table))


def test_aggregates_and_names():
    table = [series("a.x", [1, None, 3, None]), series("a.y", [10, 20, None, None])]
    (s,) = run("sumSeries(a.*)", table)
    assert s.name == "sumSeries(a.*)" and s.values == [11, 20, 3, None]
    (s,) = run("averageSeries(a.x, a.y)", table)
    assert s.name == "averageSeries(a.x,a.y)" and s.values == [5.5, 20, 3, None]
    (s,) = run("scale(a.x, 2)", table)
    assert s.name == "scale(a.x,2)" and s.values == [2.0, None, 6.0, None]
    assert [s.name for s in run("aliasByNode(a.*, 1)", table)] == ["x", "y"]
    assert [s.name for s in run("aliasByNode(scale(a.*, 3), -1)", table)] == ["x", "y"]
    assert [s.name for s in run('alias(a.x, "hits")', table)] == ["hits"]


def test_derivatives():
    table = [series("c", [1, 3, None, 10, 4, 6])]
    assert run("nonNegativeDerivative(c)", table)[0].values == [None, 2, None, None, None, 2]
    assert run("perSecond(c)", table)[0].values == [None, round(2 / 60, 6), None, None, None, round(2 / 60, 6)]
    assert run("nonNegativeDerivative(c, 10)", table)[0].values == [None, 2, None, None, 5, 2]


def test_summarize_aligns_to_the_interval():
    table = [series("c", [1, 2, 3, None, 5, 6], start=600, step=60)]  # 10:00..10:05 -> 5-minute buckets
    (s,) = run('summarize(c, "5min")', table)
    assert s.name == 'summarize(c, "5min", "sum")'
    assert (s.start, s.step, s.values) == (600, 300, [11, 6])
    (s,) = run('summarize(c, "5min", "max")', table)
    assert s.values == [5, 6]
    (s,) = run('summarize(c, "2min", "avg", true)', table)
    assert s.values == [1.5, 3, 5.5]


def test_moving_average_fetches_earlier_points():
    calls = []
    data = series("m", [float(i) for i in range(20)], start=0, step=60)

    def fetch(pattern, start, end):
        calls.append(start)
        first = start - start % 60 + 60
        return [data.copy(start=first, values=data.values[first // 60:])]

    (s,) = functions.evaluate(parse_target("movingAverage(m, 3)"), functions.Context(600, 1200, fetch))
    assert calls == [600, 420]
    assert s.name == "movingAverage(m,3)"
    assert s.start == 660 and s.values[:3] == [10.0, 11.0, 12.0]  # the window ends at its own point


def test_as_percent():
    table = [series("a.x", [1, 3, None]), series("a.y", [3, 1, 0])]
    out = run("asPercent(a.*)", table)
    assert [s.name for s in out] == ["asPercent(a.x,sumSeries(a.*))", "asPercent(a.y,sumSeries(a.*))"]
    assert out[0].values == [25.0, 75.0, None] and out[1].values == [75.0, 25.0, None]
    assert run("asPercent(a.x, 4)", table)[0].values == [25.0, 75.0, None]


def test_bad_arguments_are_target_errors():
    for target in ('summarize(a.x, "1zz")', "scale(a.x)", 'scale(a.x, "two")', "summarize(a.x, 5)",
                   'summarize(a.x, "1h", "nope")'):
        with pytest.raises(TargetError):
            run(target, [series("a.x", [1])])


def test_max_data_points_consolidates_like_graphite_web():
    s = series("a", [float(i) for i in range(60)], start=NOW - 3600, step=60)
    out = limit_points(s, 10, 3600)
    assert out.step == 360 and len(out.values) == 10
    assert out.values[0] == pytest.approx(sum(range(5, 11)) / 6)
