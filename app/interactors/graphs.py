"""A stat's graph for one of the UI's timeframes: its window, buckets, comparison and SVG.

The stat page uses it (inline, theme "auto"); embeds can use it too (theme "light" or "dark").
Every timeframe reads a bounded number of rollup rows and draws about 170-360 points, however
long the stat's history: the interval grows with the duration and the coarsest stored resolution
that tiles it is read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from app import chart_rules
from app.errors import Invalid
from app.graphs import Series, bucket_label, render_graph
from app.interactors.reading import stat_buckets
from app.rollups import DAY, HOUR, MINUTE, zone
from app.series import Bucket
from app.storage import stats as sq
from app.timeframes import Span, Timeframe, advance, align, parse_span, parse_timeframe

# code -> (label, duration, interval)
FIXED = {
    "1h": ("1 hour", Span(1, "h"), Span(1, "m")),        # 60 points from 60 minute rows
    "1d": ("1 day", Span(1, "d"), Span(5, "m")),         # 288 points from 1,440 minute rows
    "1w": ("1 week", Span(1, "w"), Span(1, "h")),        # 168 points from 168 hour rows
    "1M": ("1 month", Span(1, "M"), Span(4, "h")),       # ~180 points from ~720 hour rows
    "3M": ("3 months", Span(3, "M"), Span(12, "h")),     # ~182 points from ~2,200 hour rows
    "1y": ("1 year", Span(1, "y"), Span(2, "d")),        # ~183 points from 365 day rows
}
CODES = (*FIXED, "all")
# Timeframes embeds accept besides the UI's (StatHat's "half"): not offered as stat page tabs.
EXTRA = {"6M": ("6 months", Span(6, "M"), Span(1, "d"))}   # ~183 points from ~183 day rows
LABELS = {**{code: v[0] for code, v in FIXED.items()}, "all": "All"}
DEFAULT = "1w"
ALL_MAX_POINTS = 200
# "all": the finest of these that gives at most ALL_MAX_POINTS points (then whole days).
# Minute intervals stop at 10 minutes and hour intervals at 12 hours, so at most ~2,400 rows are read.
_ALL_STEPS = (Span(1, "m"), Span(2, "m"), Span(5, "m"), Span(10, "m"), Span(1, "h"), Span(2, "h"),
              Span(3, "h"), Span(6, "h"), Span(12, "h"))
GRAPH_WIDTH, GRAPH_HEIGHT = 1100, 340


@dataclass(frozen=True)
class Window:
    """What one timeframe means for one stat right now."""

    code: str                  # a UI code (1w, all), a duration@interval code (2d1h), or "custom" (start/end)
    label: str
    tf: Timeframe
    start: int | None = None   # "all" and custom ranges: where they begin; otherwise the window ends now
    end: int | None = None     # custom ranges: where they end (exclusive); otherwise now

    @property
    def step(self) -> int:
        return interval_seconds(self.tf.interval)

    @property
    def comparable(self) -> bool:
        return self.code != "all"

    @property
    def args(self) -> dict:
        """The query parameters that ask for this window again (stat page, analysis, embeds, export)."""
        return {"start": self.start, "end": self.end} if self.code == "custom" else {"tf": self.code}


@dataclass(frozen=True)
class Range:
    """A timeframe as asked for in a URL: tf=1w / tf=all / tf=2d1h / tf=2d, or start=&end= (unix seconds)."""

    code: str
    start: int | None = None
    end: int | None = None


# Intervals a custom range may get: the finest that gives at most CUSTOM_POINTS points.
CUSTOM_POINTS = 300
_CUSTOM_STEPS = (Span(1, "m"), Span(2, "m"), Span(5, "m"), Span(10, "m"), Span(15, "m"), Span(30, "m"),
                 Span(1, "h"), Span(2, "h"), Span(3, "h"), Span(6, "h"), Span(12, "h"), Span(1, "d"), Span(2, "d"),
                 Span(1, "w"), Span(1, "M"))
MAX_POINTS = 2000   # a tf=2d1m asks for this many points at most (the drawing groups above it anyway)
MIN_RANGE = 120     # a zoom into less than two minutes shows nothing useful


def parse_code(raw: str | None) -> str:
    code = (raw or DEFAULT).strip()
    if code not in CODES:
        raise Invalid(f"unknown timeframe {code[:20]!r}: use one of {', '.join(CODES)}")
    return code


def _int_arg(raw, name: str) -> int:
    try:
        return int(float(str(raw).strip()))
    except (ValueError, OverflowError):
        raise Invalid(f"{name} must be a time in unix seconds, not {str(raw)[:20]!r}", field=name) from None


def parse_range(tf: str | None, start=None, end=None, *, codes=CODES, default: str = DEFAULT) -> Range:
    """What the URL asks for. start and end (both, unix seconds) win over tf; tf is one of `codes`, a
    duration@interval code (2d1h) or a duration (2d, its interval chosen to give a few hundred points)."""
    if (start not in (None, "")) or (end not in (None, "")):
        if start in (None, "") or end in (None, ""):
            raise Invalid("a custom range needs both start and end (unix seconds)", field="start")
        lo, hi = _int_arg(start, "start"), _int_arg(end, "end")
        if not 0 <= lo < hi <= 2**40:
            raise Invalid("start must be before end", field="start")
        return Range("custom", lo, hi)
    code = (tf or default).strip()
    if code in codes:
        return Range(code)
    try:
        parsed = parse_timeframe(code) if len(_parts(code)) >= 2 else None
        span = None if parsed else parse_span(code)
    except Invalid:
        raise Invalid(f"unknown timeframe {code[:20]!r}: use one of {', '.join(codes)}, a duration and "
                      "interval like 2d1h, or start and end", field="tf") from None
    if parsed is not None:
        if parsed.duration.seconds / interval_seconds(parsed.interval) > MAX_POINTS:
            raise Invalid(f"timeframe {code} has too many points (at most {MAX_POINTS}): use a longer interval",
                          field="tf")
        return Range(parsed.code)
    return Range(f"{span.n}{span.unit}")


def _parts(code: str):
    return re.findall(r"\d+[mhdwMy]", code)


def _auto_interval(seconds: int) -> Span:
    return next((s for s in _CUSTOM_STEPS if seconds / interval_seconds(s) <= CUSTOM_POINTS), _CUSTOM_STEPS[-1])


def custom_window(start: int, end: int, now: int, tz: str) -> Window:
    """A window from start to end (clamped to now), at an interval giving at most CUSTOM_POINTS points."""
    end = min(end, now + 1)
    start = min(start, end - MIN_RANGE)
    interval = _auto_interval(end - start)
    first = align(start, interval, tz)
    n = max(1, math.ceil((end - first) / interval_seconds(interval)))
    label = f"{_stamp(start, tz)} – {_stamp(end, tz)}"
    return Window("custom", label, Timeframe(Span(n * interval.n, interval.unit), interval), start=start, end=end)


def when(ts: int, step: int, tz: str) -> str:
    """A bucket's time in words, in the account's zone (as the graphs' hover labels say it)."""
    return bucket_label(ts, step, zone(tz))


def _stamp(ts: int, tz: str) -> str:
    d = datetime.fromtimestamp(ts, UTC).astimezone(zone(tz))
    return f"{d:%b} {d.day} {d:%H:%M}"


def interval_seconds(span: Span) -> int:
    return span.n * DAY if span.unit == "d" else span.seconds


def first_data(tx, stat: dict) -> int:
    """When the stat's data begins (day rows are kept longest; minute rows are exact), else its creation."""
    day = sq.first_rollup_ts(tx, stat["id"], DAY)
    minute = sq.first_rollup_ts(tx, stat["id"], MINUTE)
    if minute is not None and (day is None or minute - day < DAY + 2 * HOUR):
        return int(minute)   # the minute rows reach back to the first day: they are exact
    if day is not None:
        return int(day)
    hour = sq.first_rollup_ts(tx, stat["id"], HOUR)
    return int(hour) if hour is not None else int(stat["created_at"])


def all_window(first: int, now: int) -> Window:
    span = max(now - first, MINUTE)
    interval = next((s for s in _ALL_STEPS if span / s.seconds <= ALL_MAX_POINTS), None)
    if interval is None:
        interval = Span(max(1, math.ceil(span / DAY / ALL_MAX_POINTS)), "d")
    n = math.ceil(span / interval_seconds(interval)) + 2   # whole intervals, past now: the window stops at now
    duration = Span(n * interval.n, interval.unit)
    return Window("all", LABELS["all"], Timeframe(duration, interval), start=first)


def window(tx, stat, code, now: int, tz: str = "UTC") -> Window:
    """The window a code (or a Range) means now. stat: one stat, or a list (overlays: "all" starts at the
    first data of any of them); fixed codes do not read it (None is fine)."""
    rng = code if isinstance(code, Range) else Range(code)
    if rng.code == "custom":
        return custom_window(rng.start, rng.end, now, tz)
    if rng.code == "all":
        stats = stat if isinstance(stat, list) else [stat]
        return all_window(min(min(first_data(tx, s), now) for s in stats), now)
    if rng.code in FIXED or rng.code in EXTRA:
        label, duration, interval = FIXED[rng.code] if rng.code in FIXED else EXTRA[rng.code]
        return Window(rng.code, label, Timeframe(duration, interval))
    if len(_parts(rng.code)) >= 2:
        tf = parse_timeframe(rng.code)
        return Window(rng.code, tf.label, tf)
    duration = parse_span(rng.code)
    interval = _auto_interval(duration.seconds)
    tf = Timeframe(duration, interval if interval.seconds <= duration.seconds else Span(1, "m"))
    return Window(rng.code, tf.duration.label(), tf)


def read_series(tx, stat: dict, win: Window, now: int, tz: str, compare: bool = False) -> dict:
    """{"buckets": [...], "previous": [...] or None}: previous = the period before, its bucket times
    moved forward so it lies over the current one."""
    end = now if win.end is None else min(win.end - 1, now)
    buckets = stat_buckets(tx, stat, win.tf, end, tz, win.start)
    previous, shift = None, 0
    if compare and win.comparable and buckets:
        if win.code == "custom":
            # The same length of time just before the range.
            span = win.end - win.start
            before = stat_buckets(tx, stat, win.tf, end - span, tz, win.start - span)
            shift = buckets[0].time - before[0].time if before else 0
        else:
            # The same timeframe ending one duration earlier (calendar-wise: a month ago is a month ago),
            # so it has the same buckets, the partial one included. Its last bucket lies over the current
            # last one, and the rest follow at the same offset: one subtraction, not a calendar sum per bucket.
            before = stat_buckets(tx, stat, win.tf, advance(end, win.tf.duration, tz, -1), tz)
            shift = buckets[-1].time - before[-1].time if before else 0
        if before:
            lo, hi = buckets[0].time, buckets[-1].time + win.step
            previous = [b._replace(time=b.time + shift) for b in before
                        if lo <= b.time + shift < hi]
    since = first_data(tx, stat) if stat["kind"] == "counter" and buckets else None
    return {"buckets": buckets, "previous": previous, "shift": shift, "since": since,
            "partial": bool(buckets) and chart_rules.still_filling(buckets[-1].time, win.step, now)}


def previous_label(win: Window) -> str:
    return "previous " + ("period" if win.code == "all" else win.label.removeprefix("1 "))


def series(stat: dict, win: Window, data: dict) -> list[Series]:
    """The stat's line and, when compared, its previous period's, drawn by the honest-drawing rules
    (app.chart_rules): no data before the stat's first point, the filling last bucket marked."""
    kind, unit = stat["kind"], stat.get("unit") or ""
    since, shift, partial = data.get("since"), data.get("shift", 0), data.get("partial", False)
    out = [Series(stat["name"], chart_rules.bucket_points(data["buckets"], kind, since), kind=kind, unit=unit,
                  partial=partial)]
    if data.get("previous") is not None:
        out.append(Series(previous_label(win), chart_rules.bucket_points(
            data["previous"], kind, None if since is None else since + shift), kind=kind, unit=unit, dashed=True,
            partial=partial, shift=shift))
    return out


def render(stat: dict, win: Window, data: dict, tz: str, *, theme: str = "auto", width: int = GRAPH_WIDTH,
           height: int = GRAPH_HEIGHT, marks: list[tuple[int, str]] | None = None) -> str:
    return render_graph(series(stat, win, data), width=width, height=height, theme=theme, style="auto", tz=tz,
                        step=win.step, marks=marks)


def stat_graph(tx, stat: dict, code: str, now: int, tz: str, *, compare: bool = True, theme: str = "auto",
               width: int = GRAPH_WIDTH, height: int = GRAPH_HEIGHT) -> str:
    """One call for embeds: the SVG of a stat over a UI timeframe."""
    win = window(tx, stat, parse_code(code), now, tz)
    return render(stat, win, read_series(tx, stat, win, now, tz, compare), tz, theme=theme, width=width,
                  height=height)


def overlay_series(stats: list[dict], data_of) -> list[Series]:
    """Several stats on one graph (analysis, dashboard tiles): each as a series over its buckets
    (data_of(stat) -> read_series' dict, or a plain list of buckets); stats whose unit differs from the
    first one's go on the second y axis."""
    first = (stats[0].get("unit") or "") if stats else ""
    out = []
    for s in stats:
        d = data_of(s)
        d = d if isinstance(d, dict) else {"buckets": d}
        out.append(Series(s["name"], chart_rules.bucket_points(d["buckets"], s["kind"], d.get("since")),
                          kind=s["kind"], unit=s.get("unit") or "", secondary=(s.get("unit") or "") != first,
                          partial=d.get("partial", False)))
    return out


def overlay_graph(tx, stats: list[dict], code: str, now: int, tz: str, *, compare: bool = True,
                  width: int = GRAPH_WIDTH, height: int = GRAPH_HEIGHT, style: str = "auto", theme: str = "light",
                  title: str | None = None) -> str:
    """Embeds: up to a few stats over one timeframe (code: a UI code or one of EXTRA), each with its previous
    period dashed when compare is on; stats with another unit than the first go on a second y axis.
    The SVG carries width and height, so an <img> of it has a natural size."""
    win = window(tx, stats, code, now, tz)
    out: list[Series] = []
    first_unit = stats[0].get("unit") or ""
    for stat in stats:
        data = read_series(tx, stat, win, now, tz, compare)
        secondary = (stat.get("unit") or "") != first_unit
        for s in series(stat, win, data):
            if len(stats) > 1 and s.dashed:
                s = replace(s, name=f"{stat['name']} ({s.name})", secondary=secondary)
            elif secondary:
                s = replace(s, secondary=True)
            out.append(s)
    svg = render_graph(out, width=width, height=height, theme=theme, style=style, tz=tz, step=win.step,
                       title=title or None)
    box = f'viewBox="0 0 {width} {height}"'
    head = svg[:svg.index(">")]
    if " width=" not in head:
        svg = svg.replace(box, f'{box} width="{width}" height="{height}"', 1)
    return svg


def points(stat: dict, buckets: list[Bucket], tz: str) -> list[dict]:
    """Buckets as exported: value None for an empty value bucket (a gap), 0 for an empty counter one."""
    z = zone(tz)
    kind = stat["kind"]
    return [{"time": b.time, "iso_time": datetime.fromtimestamp(b.time, UTC).astimezone(z).isoformat(),
             "value": _plain(b.value(kind)), "count": b.n} for b in buckets]


def _plain(v):
    # Database drivers may hand out Decimal; whole numbers read better as ints (3, not 3.0).
    if v is None:
        return None
    v = float(v)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v
