"""A stat's graph for one of the UI's timeframes: its window, buckets, comparison and SVG.

The stat page uses it (inline, theme "auto"); embeds can use it too (theme "light" or "dark").
Every timeframe reads a bounded number of rollup rows and draws about 170-360 points, however
long the stat's history: the interval grows with the duration and the coarsest stored resolution
that tiles it is read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from app.errors import Invalid
from app.graphs import Series, render_graph
from app.interactors.reading import stat_buckets
from app.rollups import DAY, HOUR, MINUTE, zone
from app.series import Bucket
from app.storage import stats as sq
from app.timeframes import Span, Timeframe, advance

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
    """What one UI timeframe means for one stat right now."""

    code: str
    label: str
    tf: Timeframe
    start: int | None = None   # "all": the first bucket; otherwise the window ends now

    @property
    def step(self) -> int:
        return interval_seconds(self.tf.interval)

    @property
    def comparable(self) -> bool:
        return self.code != "all"


def parse_code(raw: str | None) -> str:
    code = (raw or DEFAULT).strip()
    if code not in CODES:
        raise Invalid(f"unknown timeframe {code[:20]!r}: use one of {', '.join(CODES)}")
    return code


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


def window(tx, stat: dict, code: str, now: int) -> Window:
    if code == "all":
        return all_window(min(first_data(tx, stat), now), now)
    label, duration, interval = FIXED[code] if code in FIXED else EXTRA[code]
    return Window(code, label, Timeframe(duration, interval))


def read_series(tx, stat: dict, win: Window, now: int, tz: str, compare: bool = False) -> dict:
    """{"buckets": [...], "previous": [...] or None}: previous = the period before, its bucket times
    moved forward so it lies over the current one."""
    buckets = stat_buckets(tx, stat, win.tf, now, tz, win.start)
    previous = None
    if compare and win.comparable and buckets:
        # The same timeframe ending one duration earlier (calendar-wise: a month ago is a month ago),
        # so it has the same buckets, the partial one included. Its last bucket lies over the current
        # last one, and the rest follow at the same offset: one subtraction, not a calendar sum per bucket.
        before = stat_buckets(tx, stat, win.tf, advance(now, win.tf.duration, tz, -1), tz)
        if before:
            shift, lo, hi = buckets[-1].time - before[-1].time, buckets[0].time, buckets[-1].time + win.step
            previous = [replace(b, time=b.time + shift) for b in before
                        if lo <= b.time + shift < hi]
    return {"buckets": buckets, "previous": previous}


def previous_label(win: Window) -> str:
    return "previous " + ("period" if win.code == "all" else win.label.removeprefix("1 "))


def series(stat: dict, win: Window, data: dict) -> list[Series]:
    kind, unit = stat["kind"], stat.get("unit") or ""
    out = [Series(stat["name"], [(b.time, b.value(kind)) for b in data["buckets"]], kind=kind, unit=unit)]
    if data.get("previous") is not None:
        out.append(Series(previous_label(win), [(b.time, b.value(kind)) for b in data["previous"]], kind=kind,
                          unit=unit, dashed=True))
    return out


def render(stat: dict, win: Window, data: dict, tz: str, *, theme: str = "auto", width: int = GRAPH_WIDTH,
           height: int = GRAPH_HEIGHT, marks: list[tuple[int, str]] | None = None) -> str:
    return render_graph(series(stat, win, data), width=width, height=height, theme=theme, style="auto", tz=tz,
                        step=win.step, marks=marks)


def stat_graph(tx, stat: dict, code: str, now: int, tz: str, *, compare: bool = True, theme: str = "auto",
               width: int = GRAPH_WIDTH, height: int = GRAPH_HEIGHT) -> str:
    """One call for embeds: the SVG of a stat over a UI timeframe."""
    win = window(tx, stat, parse_code(code), now)
    return render(stat, win, read_series(tx, stat, win, now, tz, compare), tz, theme=theme, width=width,
                  height=height)


def overlay_series(stats: list[dict], buckets_of) -> list[Series]:
    """Several stats on one graph (analysis, dashboard tiles): each as a series over its buckets
    (buckets_of(stat) -> list[Bucket]); stats whose unit differs from the first one's go on the
    second y axis."""
    first = (stats[0].get("unit") or "") if stats else ""
    return [Series(s["name"], [(b.time, b.value(s["kind"])) for b in buckets_of(s)], kind=s["kind"],
                   unit=s.get("unit") or "", secondary=(s.get("unit") or "") != first) for s in stats]


def overlay_graph(tx, stats: list[dict], code: str, now: int, tz: str, *, compare: bool = True,
                  width: int = GRAPH_WIDTH, height: int = GRAPH_HEIGHT, style: str = "auto", theme: str = "light",
                  title: str | None = None) -> str:
    """Embeds: up to a few stats over one timeframe (code: a UI code or one of EXTRA), each with its previous
    period dashed when compare is on; stats with another unit than the first go on a second y axis.
    The SVG carries width and height, so an <img> of it has a natural size."""
    if code == "all":
        win = all_window(min(min(first_data(tx, s), now) for s in stats), now)
    else:
        win = window(tx, None, code, now)
    out: list[Series] = []
    first_unit = stats[0].get("unit") or ""
    for stat in stats:
        data = read_series(tx, stat, win, now, tz, compare)
        secondary = (stat.get("unit") or "") != first_unit
        for s in series(stat, win, data):
            if len(stats) > 1 and s.dashed:
                s = Series(f"{stat['name']} ({s.name})", s.points, s.kind, s.unit, True, secondary)
            elif secondary:
                s = Series(s.name, s.points, s.kind, s.unit, s.dashed, True)
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
