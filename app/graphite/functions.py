"""The render functions, written to give graphite-web 1.1's answers (names included). Pure.

Each takes the request context and its evaluated arguments. `evaluate` walks a target tree;
paths are fetched through `ctx.fetch(pattern, start, end)`, which the interactor supplies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import reduce
from itertools import zip_longest

from app.graphite.series import TimeSeries, average, consolidate
from app.graphite.targets import Call, Const, Path, TargetError, first_path, parse_target
from app.graphite.timeparse import parse_offset


class UnknownFunction(TargetError):
    def __init__(self, names):
        self.names = sorted(set(names))
        super().__init__("unknown function" + ("s" if len(self.names) > 1 else "") + ": " + ", ".join(self.names))


class ArgumentError(TargetError):
    pass


@dataclass(frozen=True)
class Context:
    start: int
    end: int
    fetch: object  # (pattern, start, end) -> list[TimeSeries]


# -- helpers ----------------------------------------------------------------------------------


def _safe_sum(row):
    vals = [v for v in row if v is not None]
    return sum(vals) if vals else None


def _series_list(value, fn: str) -> list[TimeSeries]:
    if isinstance(value, list):
        return value
    raise ArgumentError(f"{fn}: expected a series list, got {value!r}")


def _number(value, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{fn}: expected a number, got {value!r}")
    return value


def _lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


def normalize(lists: list[list[TimeSeries]]):
    """graphite-web's normalize: one step (the lcm) and one window for all series."""
    series = [s for lst in lists for s in lst]
    if not series:
        return [], 0, 0, 1
    step = reduce(_lcm, [s.step for s in series])
    out = []
    for s in series:
        if s.step != step:
            s = s.copy(values=consolidate(s.values, step // s.step), step=step)
        out.append(s)
    start = min(s.start for s in out)
    end = max(s.end for s in out)
    end -= (end - start) % step
    return out, start, end, step


def _format_paths(series: list[TimeSeries]) -> str:
    seen = []
    for s in series:
        if s.path_expression not in seen:
            seen.append(s.path_expression)
    return ",".join(seen)


def _aggregate(series_lists, func, name: str):
    series, start, end, step = normalize(series_lists)
    if not series:
        return []
    values = [func(row) for row in zip_longest(*[s.values for s in series])]
    full = f"{name}({_format_paths(series)})"
    return [TimeSeries(full, start, end, step, values, path_expression=full)]


def _node(series: TimeSeries, n: int) -> str:
    path = series.name
    if path.endswith(")"):
        try:
            path = first_path(parse_target(path)) or path
        except TargetError:
            pass
    parts = path.split(".")
    try:
        return parts[n]
    except IndexError:
        return ""


# -- the functions ----------------------------------------------------------------------------


def alias(ctx, series_list, new_name):
    for s in _series_list(series_list, "alias"):
        s.name = str(new_name)
    return series_list


def alias_by_node(ctx, series_list, *nodes):
    for s in _series_list(series_list, "aliasByNode"):
        s.name = ".".join(_node(s, int(_number(n, "aliasByNode"))) for n in nodes)
    return series_list


def sum_series(ctx, *series_lists):
    return _aggregate([_series_list(s, "sumSeries") for s in series_lists], _safe_sum, "sumSeries")


def average_series(ctx, *series_lists):
    return _aggregate([_series_list(s, "averageSeries") for s in series_lists], average, "averageSeries")


def scale(ctx, series_list, factor):
    factor = _number(factor, "scale")
    for s in _series_list(series_list, "scale"):
        s.name = f"scale({s.name},{float(factor):g})"
        s.path_expression = s.name
        s.values = [None if v is None else float(v) * float(factor) for v in s.values]
    return series_list


_AGG = {
    "sum": _safe_sum, "total": _safe_sum,
    "avg": average, "average": average,
    "max": lambda vs: max((v for v in vs if v is not None), default=None),
    "min": lambda vs: min((v for v in vs if v is not None), default=None),
    "last": lambda vs: next((v for v in reversed(vs) if v is not None), None),
    "count": lambda vs: len([v for v in vs if v is not None]) or None,
    "median": lambda vs: _median([v for v in vs if v is not None]),
}


def _median(vals):
    if not vals:
        return None
    vals = sorted(vals)
    n = len(vals)
    return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2


def _interval(text, fn: str) -> int:
    if not isinstance(text, str):
        raise ArgumentError(f"{fn}: the interval must be a string such as \"1h\"")
    try:
        seconds = abs(parse_offset(text))
    except ValueError as exc:
        raise ArgumentError(f"{fn}: {exc}") from None
    if seconds <= 0:
        raise ArgumentError(f"{fn}: the interval must be above zero")
    return seconds


def _summarize_values(s: TimeSeries, func, interval: int, new_start: int, new_end: int):
    timestamps = list(range(s.start, s.end, s.step))
    values = s.values
    n = min(len(timestamps), len(values))
    out, i, t = [], 0, new_start
    while t < new_end:
        first, non_null = i, 0
        while i < n and timestamps[i] < t + interval:
            if timestamps[i] <= t:
                first = i
            if timestamps[i] >= t and values[i] is not None:
                non_null += 1
            i += 1
        out.append(func(values[first:i]) if non_null else None)
        t += interval
    return out, t


def summarize(ctx, series_list, interval_string, func="sum", align_to_from=False, **kw):
    align_to_from = kw.get("alignToFrom", align_to_from)
    interval = _interval(interval_string, "summarize")
    if func not in _AGG:
        raise ArgumentError(f"summarize: unknown function {func!r} (use {', '.join(sorted(_AGG))})")
    out = []
    for s in _series_list(series_list, "summarize"):
        if align_to_from:
            start, end = s.start, s.end
        else:
            start, end = s.start - s.start % interval, s.end - s.end % interval + interval
        values, aligned_end = _summarize_values(s, _AGG[func], interval, start, end)
        if align_to_from:
            end = aligned_end
        name = f'summarize({s.name}, "{interval_string}", "{func}"{", true" if align_to_from else ""})'
        out.append(s.copy(name=name, start=start, end=end, step=interval, values=values))
    return out


def moving_average(ctx, series_list, window, x_files_factor=None, *, _node=None):
    """Re-fetches the argument with the window's worth of earlier data, as graphite-web does."""
    if isinstance(window, bool) or not isinstance(window, (int, float, str)):
        raise ArgumentError("movingAverage: the window is a number of points or a string such as \"5min\"")
    series_list = _series_list(series_list, "movingAverage")
    if not series_list:
        return []
    if isinstance(window, str):
        preview = _interval(window, "movingAverage")
    else:
        if int(window) <= 0:
            raise ArgumentError("movingAverage: the window must be above zero")
        preview = max(s.step for s in series_list) * int(window)
    earlier = evaluate(_node.args[0], replace(ctx, start=ctx.start - preview))
    out = []
    for s in _series_list(earlier, "movingAverage"):
        if isinstance(window, str):
            name = f'movingAverage({s.name},"{window}")'
            points = preview // s.step
        else:
            name = f"movingAverage({s.name},{window})"
            points = int(window)
        values = []
        for i in range(points + 1, len(s.values) + 1):
            vals = [v for v in s.values[i - points:i] if v is not None]
            ok = vals and (x_files_factor is None or len(vals) / points >= float(x_files_factor))
            values.append(sum(vals) / len(vals) if ok else None)
        out.append(s.copy(name=name, start=s.start + preview, values=values))
    return out


def _non_negative_delta(val, prev, max_value, min_value):
    if max_value is not None and val is not None and val > max_value:
        return None, None
    if min_value is not None and val is not None and val < min_value:
        return None, None
    if prev is None or val is None:
        return None, val
    if val >= prev:
        return val - prev, val
    if max_value is not None:
        return max_value + 1 + val - prev - (min_value or 0), val
    if min_value is not None:
        return val - min_value, val
    return None, val


def non_negative_derivative(ctx, series_list, max_value=None, min_value=None, **kw):
    max_value, min_value = kw.get("maxValue", max_value), kw.get("minValue", min_value)
    out = []
    for s in _series_list(series_list, "nonNegativeDerivative"):
        values, prev = [], None
        for v in s.values:
            delta, prev = _non_negative_delta(v, prev, max_value, min_value)
            values.append(delta)
        out.append(s.copy(name=f"nonNegativeDerivative({s.name})", values=values))
    return out


def per_second(ctx, series_list, max_value=None, min_value=None, **kw):
    max_value, min_value = kw.get("maxValue", max_value), kw.get("minValue", min_value)
    out = []
    for s in _series_list(series_list, "perSecond"):
        values, prev = [], None
        for v in s.values:
            delta, prev = _non_negative_delta(v, prev, max_value, min_value)
            values.append(None if delta is None else round(delta / s.step, 6))
        out.append(s.copy(name=f"perSecond({s.name})", values=values))
    return out


def _pct(a, b):
    if a is None or b in (0, None):
        return None
    return float(a) / b * 100.0


def as_percent(ctx, series_list, total=None, *nodes):
    series_list = _series_list(series_list, "asPercent")
    if nodes:
        raise ArgumentError("asPercent: grouping by nodes is not supported here")
    if not series_list:
        return []
    series_list, _, _, _ = normalize([series_list])
    if total is None:
        total_values = [_safe_sum(row) for row in zip_longest(*[s.values for s in series_list])]
        total_text = f"sumSeries({_format_paths(series_list)})"
    elif isinstance(total, list):
        if len(total) not in (1, len(series_list)):
            raise ArgumentError("asPercent: the total must be one series, or as many as the first argument")
        if len(total) == len(series_list) and len(total) != 1:
            out = []
            for s1, s2 in zip(sorted(series_list, key=lambda s: s.name), sorted(total, key=lambda s: s.name),
                              strict=True):
                (a, b), start, end, step = normalize([[s1, s2]])
                values = [_pct(x, y) for x, y in zip_longest(a.values, b.values)]
                out.append(TimeSeries(f"asPercent({s1.name},{s2.name})", start, end, step, values))
            return out
        normalize([series_list, total])
        total_values, total_text = total[0].values, total[0].name
    else:
        total = _number(total, "asPercent")
        total_values = [total] * len(series_list[0].values)
        total_text = str(total)
    out = []
    for s in series_list:
        values = [_pct(v, t) for v, t in zip_longest(s.values, total_values)]
        name = f"asPercent({s.name},{total_text or s.path_expression})"
        out.append(TimeSeries(name, s.start, s.end, s.step, values))
    return out


def constant_line(ctx, value):
    """What Grafana's "Save & test" asks for: a flat line over the window (graphite-web's shape)."""
    value = _number(value, "constantLine")
    step = max(1, (ctx.end - ctx.start) // 2)
    return [TimeSeries(str(value), ctx.start, ctx.end, step, [value, value, value],
                       path_expression=f"constantLine({value})")]


FUNCTIONS = {
    "constantLine": constant_line,
    "alias": alias,
    "aliasByNode": alias_by_node,
    "sumSeries": sum_series, "sum": sum_series,
    "averageSeries": average_series, "avg": average_series,
    "scale": scale,
    "summarize": summarize,
    "movingAverage": moving_average,
    "perSecond": per_second,
    "nonNegativeDerivative": non_negative_derivative,
    "asPercent": as_percent,
}
_KWARGS = {"alignToFrom": "align_to_from", "xFilesFactor": "x_files_factor", "maxValue": "max_value",
           "minValue": "min_value", "total": "total"}


def unknown_functions(node) -> list[str]:
    if isinstance(node, Call):
        names = [] if node.name in FUNCTIONS else [node.name]
        for a in list(node.args) + list(node.kwargs.values()):
            names += unknown_functions(a)
        return names
    return []


def check(node) -> None:
    missing = unknown_functions(node)
    if missing:
        raise UnknownFunction(missing)


def evaluate(node, ctx: Context):
    if isinstance(node, Path):
        return ctx.fetch(node.pattern, ctx.start, ctx.end)
    if isinstance(node, Const):
        return node.value
    if not isinstance(node, Call):  # pragma: no cover
        raise TargetError("bad expression")
    fn = FUNCTIONS.get(node.name)
    if fn is None:
        raise UnknownFunction([node.name])
    args = [evaluate(a, ctx) for a in node.args]
    kwargs = {}
    for k, v in node.kwargs.items():
        kwargs[_KWARGS.get(k, k)] = evaluate(v, ctx)
    if fn is moving_average:
        kwargs["_node"] = node
    try:
        result = fn(ctx, *args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(f"{node.name}: wrong arguments ({exc})") from None
    # A function hands back new series; copies keep one target's series apart from another's.
    return [s.copy() for s in result] if isinstance(result, list) else result


def _p(name, type_, required=False, **extra):
    return {"name": name, "type": type_, "required": required, **extra}


_SERIES = _p("seriesList", "seriesList", True)
# /functions, in graphite-web's shape, for Grafana's function editor.
DEFINITIONS = {
    "constantLine": ("Special", "A flat line at the value.", [_p("value", "float", True)]),
    "alias": ("Alias", "Names the series.", [_SERIES, _p("newName", "string", True)]),
    "aliasByNode": ("Alias", "Names each series by the given path nodes (0 is the first, -1 the last).",
                    [_SERIES, _p("nodes", "nodeOrTag", True, multiple=True)]),
    "sumSeries": ("Combine", "The sum of the series at each point.",
                  [_p("seriesLists", "seriesList", True, multiple=True)]),
    "averageSeries": ("Combine", "The average of the series at each point.",
                      [_p("seriesLists", "seriesList", True, multiple=True)]),
    "scale": ("Transform", "Multiplies every value by the factor.", [_SERIES, _p("factor", "float", True)]),
    "summarize": ("Transform", "One value per interval, by the function (sum by default).",
                  [_SERIES, _p("intervalString", "interval", True), _p("func", "aggFunc", default="sum",
                   options=sorted(_AGG)), _p("alignToFrom", "boolean", default=False)]),
    "movingAverage": ("Calculate", "The average over a sliding window (points, or a time such as \"5min\").",
                      [_SERIES, _p("windowSize", "intOrInterval", True), _p("xFilesFactor", "float")]),
    "perSecond": ("Transform", "The per-second rate of a growing counter.",
                  [_SERIES, _p("maxValue", "float"), _p("minValue", "float")]),
    "nonNegativeDerivative": ("Transform", "The difference between points, ignoring decreases.",
                              [_SERIES, _p("maxValue", "float"), _p("minValue", "float")]),
    "asPercent": ("Combine", "Each series as a percentage of the total (the sum of the series by default).",
                  [_SERIES, _p("total", "any")]),
}


def definitions() -> dict:
    out = {}
    for name, (group, description, params) in DEFINITIONS.items():
        sig = ", ".join(("*" if p.get("multiple") else "") + p["name"] for p in params)
        out[name] = {"name": name, "function": f"{name}({sig})", "description": description,
                     "module": "eyrie", "group": group, "params": params}
    return out
