"""Turn already-bucketed stat series into lean, self-contained SVG strings.

Pure module: no Flask, no database, no I/O. pygal lays out the frame (axes, grid, legend,
fonts); the data itself is drawn here as a handful of <path> elements, because pygal's
per-point machinery (adapters, state lookups, a node per point) is what makes big charts slow.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pygal
from pygal.etree import etree
from pygal.style import Style

from app import chart_rules, numbers

PALETTE = ("#3b82f6", "#f97316", "#22c55e", "#a855f7", "#ef4444", "#14b8a6", "#ec4899", "#eab308")
# One shade lighter, so lines and bars still pop on the dark background.
DARK_PALETTE = ("#60a5fa", "#fb923c", "#4ade80", "#c084fc", "#f87171", "#2dd4bf", "#f472b6", "#facc15")
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
THEMES = {
    # Light stays transparent so the page shows through; dark is opaque so it also works as a PNG.
    "light": {"bg": "transparent", "mute": "#ffffff", "text": "#6b7280", "strong": "#1f2937",
              "grid": "#eceef1", "axis": "#c4c9d0", "compare": "#4b5563"},
    "dark": {"bg": "#111827", "mute": "#111827", "text": "#9ca3af", "strong": "#e5e7eb",
             "grid": "#1f2937", "axis": "#374151", "compare": "#d1d5db"},
}
MAX_POINTS = 2000                 # above this, average groups so render time stays bounded
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
# Candidate x tick spacings: (approximate seconds, unit, multiple).
_TICKS = ([(60 * k, "min", k) for k in (1, 2, 5, 10, 15, 30)] + [(3600 * k, "hour", k) for k in (1, 2, 3, 6, 12)]
          + [(86400 * k, "day", k) for k in (1, 2, 3, 7, 14)] + [(2629746 * k, "month", k) for k in (1, 2, 3, 6)]
          + [(31556952 * k, "year", k) for k in (1, 2, 5, 10, 25, 50, 100)])


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[int, float | None]]   # (bucket start, unix seconds UTC; value or None = no data)
    kind: str = "value"        # "counter" or "value"
    unit: str = ""
    dashed: bool = False       # previous-period comparison, already shifted onto this window
    secondary: bool = False    # plot on the secondary y axis
    partial: bool = False      # the last bucket is still filling (drawn lighter)
    shift: int = 0             # seconds the points were moved forward (a previous period), for hover labels
    texts: list[str | None] | None = None   # hover text per point, when the drawn values are not the real ones


def _prepare(s: Series, step: int) -> tuple[list[tuple[int, float | None]], int]:
    """Sorted float points, averaged in groups if there are too many. None is no data, for counters too
    (before a stat's first point): callers pass the zeros they mean (app.chart_rules.bucket_points)."""
    # float(): database drivers hand out Decimal, which refuses to mix with float maths.
    pts = [(int(t), None if v is None else _finite(float(v))) for t, v in sorted(s.points)]
    if len(pts) <= MAX_POINTS:
        return pts, step
    # Mean per group for both kinds: a sum would rescale counters, the mean keeps the shape.
    # Each value is divided before summing, so the mean of huge values cannot overflow.
    g = math.ceil(len(pts) / (MAX_POINTS // 2))
    out = []
    for i in range(0, len(pts), g):
        vals = [v for _, v in pts[i:i + g] if v is not None]
        out.append((pts[i][0], _finite(sum(v / len(vals) for v in vals)) if vals else None))   # may round past max
    return out, step * g


def _finite(v: float) -> float | None:
    """±inf (a sum that overflowed) is drawn at the largest float; NaN is no data."""
    if math.isfinite(v):
        return v
    return None if math.isnan(v) else math.copysign(MAX_FLOAT, v)


MAX_FLOAT = 1.7976931348623157e308


def fmt_number(v: float, unit: str = "", exp: int = 0) -> str:
    """Axis labels in Eyrie's one number format (app.numbers): 1.2k, 3.4M, 0.25, 250 ms, $2.5k. The number
    is v * 10**exp (axes of huge or tiny values are laid out in powers of ten); beyond 1e18 or below
    1e-8 it reads 1.7e308."""
    a = abs(v)
    if not exp and (v == 0 or 1e-8 <= a < 1e18):
        return numbers.fmt(v, unit)
    # Decimal: the label of a tick past the largest float (2e308) is still exact.
    s = f"{Decimal(repr(float(v))).scaleb(exp).normalize():.3g}".replace("e+", "e")
    s = "0" if s in ("-0", "0", "0e0") else s
    before, _, after = numbers.parts(1.0, unit)
    if before and s.startswith("-"):
        return f"-{before}{s[1:]}"
    return f"{before}{s}{after}"


def _labels(ticks: list[float], unit: str, exp: int) -> list[str]:
    """Tick labels: the one number format with just enough digits that no two read the same."""
    if not exp and all(t == 0 or 1e-8 <= abs(t) < 1e18 for t in ticks):
        return numbers.distinct(ticks, unit)
    return [fmt_number(t, unit, exp) for t in ticks]


def _axis_exp(lo: float, hi: float) -> int:
    """The power of ten an axis is laid out in: 0 for everyday numbers; for values past ±1e100 or
    within 1e-100 of zero, their own magnitude, so that ranges, steps and pixel factors computed
    from them (2 * 1.7e308, or 1e-300 / 5) neither overflow nor vanish."""
    mag = max(abs(lo), abs(hi))
    if mag == 0 or 1e-100 <= mag <= 1e100:
        return 0
    return max(-323, math.floor(math.log10(mag)))   # 10.0 ** -324 is 0


def _nice_step(raw: float) -> float:
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))


def _tick(x: float, step: float) -> float:
    # Rounded a few digits below the step, which strips float noise (0.30000000000000004) at any scale.
    return round(x, 3 - math.floor(math.log10(step)))


def _unflatten(lo: float, hi: float) -> tuple[float, float]:
    """A flat line gets a band to sit in, instead of a zero-height (divide by zero) axis."""
    pad = abs(hi) * 0.1 or 1.0
    flat = hi - lo <= 1e-12 * max(abs(lo), abs(hi))
    return ((lo - pad if lo != 0 else 0.0), hi + pad) if flat else (lo, hi)


def _y_ticks(lo: float, hi: float, count: int) -> list[float]:
    lo, hi = _unflatten(lo, hi)
    step = _nice_step((hi - lo) / count)
    return [_tick(i * step, step) for i in range(math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9) + 1)]


def _secondary_ticks(lo: float, hi: float, n: int) -> list[float]:
    """n round ticks covering [lo, hi], so they can share the primary grid lines."""
    lo, hi = _unflatten(lo, hi)
    step = _nice_step((hi - lo) / max(n - 1, 1))
    while (start := math.floor(lo / step + 1e-9) * step) + (n - 1) * step < hi - 1e-9:
        step = _nice_step(step * 1.01)
    return [_tick(start + i * step, step) for i in range(n)]


def _x_ticks(x0: float, x1: float, step: int, zone, max_labels: int) -> list[tuple[float, str]]:
    """Ticks on round local times (hours, midnights, month starts...) with labels for the timeframe."""
    span = x1 - x0
    fits = [c for c in _TICKS if c[0] >= min(step, 86400 * 365) and span / c[0] <= max_labels]
    _, unit, k = min(fits or _TICKS[-1:], key=lambda c: abs(span / c[0] - max(2.0, max_labels * 0.7)))
    lo, hi = datetime.fromtimestamp(x0, zone), datetime.fromtimestamp(x1, zone)
    if unit in ("min", "hour"):
        n = k * (60 if unit == "min" else 3600)   # divides a day, so aligning to midnight works
        wall = lo.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        wall += timedelta(seconds=(lo.replace(tzinfo=None) - wall).total_seconds() // n * n)
        walls = [wall + timedelta(seconds=n * i) for i in range(int((span + 7200) // n) + 2)]   # +2h: DST
    elif unit == "day":   # k days counted from a Monday, so 7 and 14 land on Mondays
        days = [lo.date() + timedelta(days=i) for i in range((hi.date() - lo.date()).days + 1)]
        walls = [datetime(d.year, d.month, d.day) for d in days if (d.toordinal() - 1) % k == 0]
    elif unit == "month":
        walls = [datetime(m // 12, m % 12 + 1, 1)
                 for m in range(lo.year * 12 + lo.month - 1, hi.year * 12 + hi.month) if m % k == 0]
    else:
        walls = [datetime(y, 1, 1) for y in range(lo.year, hi.year + 1) if y % k == 0]
    out = []
    stamps = {w.replace(tzinfo=zone).timestamp() for w in walls}   # a set: DST can map two walls to one instant
    for t in sorted(t for t in stamps if x0 <= t <= x1):
        d = datetime.fromtimestamp(t, zone)
        if unit in ("min", "hour"):   # midnight names the new day, so a 24h graph says which is which
            label = f"{MONTHS[d.month - 1]} {d.day}" if d.hour == d.minute == 0 and span > 6 * 3600 else f"{d:%H:%M}"
        elif unit == "day":
            label = f"{DAYS[d.weekday()] if span <= 10 * 86400 else MONTHS[d.month - 1]} {d.day}"
        else:
            label = f"{MONTHS[d.month - 1]} {d.year}" if unit == "month" else str(d.year)
        out.append((t, label))
    # A label on the right edge overflows the plot and gets clipped; one on the left edge
    # only repeats the range start, so keep it only when labels are scarce.
    out = [o for o in out if o[0] <= x1 - span * 0.03]
    inner = [o for o in out if o[0] >= x0 + span * 0.03]
    return inner if len(inner) >= 2 else out


def _mix(color: str, other: str, amount: float) -> str:
    a, b = ([int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in (color, other))
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b))


def _mode(s: Series, style: str, px_per_bucket: float) -> str:
    if s.dashed or style == "line":
        return "line"
    if style in ("spark", "fill"):
        return "fill" if (s.kind == "counter" or style == "fill") else "line"
    if style == "bar" or (s.kind == "counter" and px_per_bucket >= 4):   # bars need room to be bars
        return "bar"
    return "fill" if s.kind == "counter" else "line"


class _TimeChart(pygal.XY):
    """XY chart whose data we draw ourselves; pygal only gets one dummy point per series."""

    def _post_compute(self):
        self._box.margin = 0   # the plot should end exactly at the outer ticks
        # pygal skips a y label whose pixel is exactly 0, i.e. our top tick.
        self._box.ymax += (self._box.ymax - self._box.ymin) * 1e-6

    def _compute_secondary(self):
        if self.secondary_series and self._y_labels:
            self._y_2nd_labels = self.eyrie_y2_labels

    def _plot(self):
        _draw_data(self, self.eyrie_items)
        _draw_marks(self, getattr(self, "eyrie_marks", ()))
        box = self.view.box
        # Where the plot sits in the SVG (pygal translates it by whole pixels), for the hover script.
        self.eyrie_geom = {"plot": [int(self.margin_box.left), int(self.margin_box.top), round(self.view.width, 1),
                                    round(self.view.height, 1)], "t0": box.xmin, "t1": box.xmax}


def _f(v: float) -> str:
    return f"{v:.1f}"


def _bar_path(pts, kx, off, sub, base) -> str:
    if sub >= 2.5:   # separate bars; zero-height ones are simply left out
        return "".join(f"M{_f(t * kx + off)} {_f(base)}V{_f(y)}h{_f(sub)}V{_f(base)}Z"
                       for t, y in pts if y is not None and abs(base - y) >= 0.05)
    # bars a pixel or two wide: stepped areas without seams between them, broken where there is no data
    out = []
    for run in chart_rules.segments(pts):
        out.append(f"M{_f(run[0][0] * kx + off)} {_f(base)}" + "".join(f"V{_f(y)}H{_f(t * kx + off + sub)}"
                                                                       for t, y in run) + f"V{_f(base)}Z")
    return "".join(out)


def _draw_data(chart, items: list[dict]) -> None:
    node, svg, box, h = chart.nodes["plot"], chart.svg, chart.view.box, chart.view.height
    kx, ky = chart.view.width / (box.xmax - box.xmin), h / (box.ymax - box.ymin)
    nbars, slot = sum(it["mode"] == "bar" for it in items), 0
    for it in items:
        to_p, color, sw = it["to_primary"], it["color"], it["width"]
        base = h - (min(max(to_p(0.0), box.ymin), box.ymax) - box.ymin) * ky   # zero, clamped into the plot
        pts = [(t, None if v is None else h - (to_p(v) - box.ymin) * ky) for t, v in it["points"]]
        # The still-filling last bucket is drawn apart, lighter, so a half-counted bucket reads as such.
        tail = pts[-1] if it["partial"] and pts and pts[-1][1] is not None else None
        half = it["step"] / 2   # lines go through bucket centres, in line with bars
        it["px"] = [(_f((t + half - box.xmin) * kx), None if y is None else _f(y)) for t, y in pts]
        if it["mode"] == "bar":
            bw = it["step"] * kx
            pad = bw * 0.15 if bw >= 4 else 0.0
            sub = (bw - 2 * pad) / nbars
            off, slot = pad + slot * sub - box.xmin * kx, slot + 1
            d = _bar_path(pts[:-1] if tail else pts, kx, off, sub, base)
            if d:
                svg.node(node, "path", d=d, fill=color, stroke="none", class_="eyrie-bars",
                         attrib={"shape-rendering": "crispEdges"} if sub >= 2.5 else None)
            if tail and abs(base - tail[1]) >= 0.05:
                svg.node(node, "path", d=f"M{_f(tail[0] * kx + off)} {_f(base)}V{_f(tail[1])}h{_f(max(sub, 1))}"
                         f"V{_f(base)}Z", fill=color, stroke="none", class_="eyrie-bars eyrie-partial",
                         attrib={"fill-opacity": "0.4"})
            continue
        segs = [[(_f((t + half - box.xmin) * kx), _f(y)) for t, y in run]
                for run in chart_rules.segments(pts, it["bridge"])]
        last = None
        if tail and segs and len(segs[-1]) > 1:   # the last stretch, into the partial bucket, drawn apart
            last, segs[-1] = segs[-1][-2:], segs[-1][:-1]
        if it["mode"] == "fill":
            def area(s, b=_f(base)):
                return f"M{s[0][0]} {b}L" + "L".join(f"{x} {y}" for x, y in s) + f"L{s[-1][0]} {b}Z"
            svg.node(node, "path", d="".join(area(s) for s in segs), fill=color, stroke="none", class_="eyrie-area",
                     attrib={"fill-opacity": it["fill_opacity"]})
            if last:
                svg.node(node, "path", d=area(last), fill=color, stroke="none", class_="eyrie-area eyrie-partial",
                         attrib={"fill-opacity": f"{float(it['fill_opacity']) / 2:g}"})
        line = "".join("M" + "L".join(f"{x} {y}" for x, y in s) for s in segs if len(s) > 1)
        attrs = {"class": "eyrie-line", "fill": "none", "stroke": color, "stroke-width": str(sw),
                 "stroke-linejoin": "round", "stroke-linecap": "round"}
        if it["dashed"]:
            attrs["stroke-dasharray"] = f"{sw * 3:g} {sw * 2.5:g}"
        if line:
            svg.node(node, "path", d=line, attrib=attrs)
        if last:
            svg.node(node, "path", d="M" + "L".join(f"{x} {y}" for x, y in last), attrib={
                **attrs, "class": "eyrie-line eyrie-partial", "stroke-dasharray": f"{sw * 1.5:g} {sw * 2:g}",
                "stroke-opacity": "0.55"})
        for s in segs:   # a lone reading between gaps would otherwise vanish
            if len(s) == 1 and it["mode"] == "line" and not (last and s is segs[-1]):
                svg.node(node, "circle", cx=s[0][0], cy=s[0][1], r=_f(sw * 1.25), fill=color, class_="eyrie-dot")


MARK_COLORS = {"triggered": "#dc2626", "ok": "#16a34a"}


def _draw_marks(chart, marks) -> None:
    """Alert state changes: a thin dashed rule from top to bottom with a small flag, at its time, titled
    with what happened (marks: (ts, kind) or (ts, kind, label))."""
    node, svg, box, h = chart.nodes["plot"], chart.svg, chart.view.box, chart.view.height
    kx = chart.view.width / (box.xmax - box.xmin)
    chart.eyrie_mark_px = []
    for mark in marks:
        t, kind, label = (*mark, "")[:3]
        if not box.xmin <= t <= box.xmax:
            continue
        x, color = _f((t - box.xmin) * kx), MARK_COLORS.get(kind, "#6b7280")
        g = svg.node(node, "g", class_=f"eyrie-mark eyrie-mark-{kind}")
        if label:
            svg.node(g, "title").text = label
        svg.node(g, "line", x1=x, x2=x, y1="0", y2=_f(h), stroke=color, attrib={
            "stroke-width": "1.2", "stroke-dasharray": "4 3", "opacity": "0.8"})
        svg.node(g, "path", d=f"M{x} 0l6 3.5l-6 3.5Z", fill=color)
        chart.eyrie_mark_px.append({"x": x, "t": t, "kind": kind, "label": label or kind})


def _scrub(title: str | None, items: list[dict], fs: int, meta=None):
    """xml filter: drop pygal's script, comments (they hold URLs) and hover <title>/<desc> noise;
    flow the legend in compact rows (pygal uses equal columns) with swatches matching the plot; add
    the data island (meta(): JSON text) the hover script reads."""
    def f(root):
        data = meta() if meta else None
        if data:
            etree.SubElement(root, "metadata", {"class": "eyrie-data"}).text = data
        for el in list(root.iter()):
            for child in list(el):
                if callable(child.tag) or child.tag in ("script", "desc") or (
                        child.tag == "title" and (el is not root or not title)
                        and "eyrie-mark" not in (el.get("class") or "")):
                    el.remove(child)
            for leg in el.findall("g") if el.get("class") == "legends" else []:
                it = items[int(leg.get("id").rsplit("-", 1)[1])]
                x, dy, glyph = it["legend"]
                rect, text = leg.find("rect"), leg.find("text")
                text.set("x", _f(x + glyph + 6))
                text.set("y", _f(float(text.get("y")) + dy))
                if it["mode"] != "line":
                    rect.set("x", _f(x))
                    rect.set("y", _f(float(rect.get("y")) + dy))
                    continue
                leg.remove(rect)   # a line swatch, dashed for comparisons
                etree.SubElement(leg, "path", {
                    "d": f"M{_f(x)} {_f(float(rect.get('y')) + dy + fs / 2)}h{glyph}", "stroke": it["color"],
                    "fill": "none", "stroke-width": "1.5" if it["dashed"] else "2.5",
                    **({"stroke-dasharray": "4 3"} if it["dashed"] else {})})
        return root
    return f


def render_graph(series: list[Series], *, width: int = 800, height: int = 300, theme: str = "light",
                 style: str = "auto", tz: str = "UTC", step: int = 3600, title: str | None = None,
                 css_class: str | None = None, marks: list[tuple[int, str]] | None = None) -> str:
    """Return an <svg ...> string (no XML declaration), sized by its viewBox only.

    style: "auto" (counters bars/area, values lines), "line", "fill", "bar", "spark", "mini".
    theme: "light", "dark" or "auto" (light, dark under prefers-color-scheme: dark; for inline SVG in
    pages). step: bucket width in seconds. tz: IANA zone for axis labels.
    """
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError, OSError):   # a bad profile setting must not break a page
        zone = UTC
    # "auto": the light colours, plus a prefers-color-scheme block with the dark ones (an inline SVG's
    # <style> follows the page's colour scheme). Both stay transparent so the page shows through.
    auto = theme == "auto"
    th = THEMES["light"] if auto else THEMES.get(theme, THEMES["light"])
    palette = DARK_PALETTE if th is THEMES["dark"] else PALETTE
    spark, mini = style == "spark", style == "mini"
    fs = 10 if mini else (12 if width >= 600 else 11)
    live = [(s, *_prepare(s, step)) for s in series if any(v is not None for _, v in s.points)]
    if all(s.secondary for s, _, _ in live):   # a secondary axis needs a primary one
        live = [(replace(s, secondary=False), pts, st) for s, pts, st in live]
    live.sort(key=lambda p: p[0].secondary)   # pygal numbers primary series first
    n_plain = sum(not s.dashed for s, _, _ in live)
    show_legend = not (spark or mini) and (n_plain > 1 or n_plain < len(live))
    cfg = dict(width=width, height=height, js=[], disable_xml_declaration=True, strict=True, show_dots=False,
               explicit_size=spark, no_data_text="No data", truncate_label=-1, truncate_legend=-1, title=title,
               show_legend=show_legend, legend_at_bottom=True, legend_box_size=fs,
               legend_at_bottom_columns=max(1, len(live)), show_y_guides=not spark,
               show_x_labels=bool(live) and not spark, show_y_labels=bool(live) and not spark,
               margin_top=2 if spark else 10, margin_bottom=2 if spark else 4, margin_left=1 if spark else 6,
               margin_right=1 if spark else 14, spacing=4 if mini else 8,
               classes=["eyrie-graph"] + ([css_class] if css_class else []))
    font = dict(font_family=FONT, label_font_size=fs, major_label_font_size=fs, legend_font_size=fs,
                title_font_size=fs + 3, no_data_font_size=10 if spark else fs + 2)
    if not live:
        chart = _TimeChart(style=Style(**font), **cfg)
        chart.add("", [])
        return _finish(chart, th, title, [], auto)

    x0 = min(pts[0][0] for _, pts, _ in live)
    x1 = max(pts[-1][0] + st for _, pts, st in live)
    px_per_bucket = (width - 70) * step / max(x1 - x0, 1)
    axes = {}
    for sec in {s.secondary for s, _, _ in live}:
        group = [p for p in live if p[0].secondary == sec]
        vals = [v for _, pts, _ in group for _, v in pts if v is not None]
        lo, hi = min(vals), max(vals)
        # Counters and areas start at zero; values only when zero is close anyway (keeps the shape honest).
        if any(s.kind == "counter" for s, _, _ in group) or style in ("fill", "bar") or 0 <= lo < 0.3 * hi:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        units = {s.unit for s, _, _ in group}
        e = _axis_exp(lo, hi)
        axes[sec] = (lo / 10.0 ** e, hi / 10.0 ** e, units.pop() if len(units) == 1 else "", e)
    # From here on each axis works in units of 10**e (pygal too): its ticks and data are scaled.
    lo, hi, unit, e1 = axes[False]
    if spark:
        ticks = [lo, hi] if hi > lo else [lo - 1, hi + 1]
    else:
        ticks = _y_ticks(lo, hi, max(2, min(5, (height - 60) // 45)))
    k1 = 10.0 ** e1
    to_primary, y2_labels = {False: lambda v: v / k1}, []
    if True in axes:
        lo2, hi2, unit2, e2 = axes[True]
        t2, k2 = _secondary_ticks(lo2, hi2, len(ticks)), 10.0 ** e2
        scale = (ticks[-1] - ticks[0]) / (t2[-1] - t2[0])
        to_primary[True] = lambda v: ticks[0] + (v / k2 - t2[0]) * scale
        y2_labels = list(zip(_labels(t2, unit2, e2), ticks))

    items, n_solid, n_dashed, x, row = [], 0, 0, 0.0, 0
    has_bars = any(_mode(s, style, px_per_bucket) == "bar" for s, _, _ in live)
    dark = THEMES["dark"]
    for s, pts, st in live:
        if s.dashed:
            # Over bars a muted hue drowns, so use the theme's grey; over lines a paler
            # copy of the compared series' colour reads as "the same thing, earlier".
            color = th["compare"] if has_bars else _mix(palette[n_dashed % len(palette)], th["mute"], 0.3)
            dark_color = dark["compare"] if has_bars else _mix(DARK_PALETTE[n_dashed % len(palette)],
                                                               dark["mute"], 0.3)
            n_dashed += 1
        else:
            color, dark_color = palette[n_solid % len(palette)], DARK_PALETTE[n_solid % len(palette)]
            n_solid += 1
        mode, name = _mode(s, style, px_per_bucket), s.name if len(s.name) <= 40 else s.name[:39] + "…"
        glyph = 18 if mode == "line" else fs
        if x > 0 and x + glyph + 6 + len(name) * 0.6 * fs > width - 40:   # legend: wrap to a new row
            x, row = 0.0, row + 1
        items.append({"points": pts, "step": st, "mode": mode, "dashed": s.dashed, "color": color, "name": name,
                      "dark_color": dark_color,
                      "width": 1.5 if s.dashed or spark or mini or width < 500 else 2.0,
                      "to_primary": to_primary[s.secondary], "legend": (x, row * 1.5 * fs, glyph),
                      "fill_opacity": "0.22" if s.kind == "counter" else "0.12", "series": s,
                      "partial": s.partial and st == step,   # grouped points: the last group is mostly complete
                      "bridge": 0 if s.kind == "counter" else chart_rules.bridge_limit(pts)})
        x += glyph + 28 + len(name) * 0.6 * fs
    cfg["margin_bottom"] += row * 1.5 * fs if show_legend else 0
    max_labels = max(2, min(10, width // 80))
    chart = _TimeChart(style=Style(colors=tuple(it["color"] for it in items), **font), **cfg)
    y_labels = [{"value": t, "label": lb} for t, lb in zip(ticks, _labels(ticks, unit, e1))]
    chart.config(xrange=(x0, x1), y_labels=y_labels,
                 x_labels=[] if spark else [{"value": t, "label": lb}
                                            for t, lb in _x_ticks(x0, x1, step, zone, max_labels)])
    chart.eyrie_items, chart.eyrie_y2_labels = items, y2_labels
    chart.eyrie_marks = marks or ()
    for (s, _, _), it in zip(live, items):
        # pygal only sees a single in-range point: enough for the legend and its "has data" test.
        chart.add(it["name"], [(x0, ticks[0])], secondary=s.secondary)
    return _finish(chart, th, title, items, auto, None if spark or mini else _meta(chart, items, zone, step))


def _theme_rules(th: dict) -> list[tuple[str, str]]:
    return [(".graph>.background", f"fill:{th['bg']}"), (".plot>.background", f"fill:{th['bg']}"),
            (".axis text", f"fill:{th['text']}"), (".axis .line", f"stroke:{th['axis']};fill:none"),
            (".axis .guide.line", f"stroke:{th['grid']}"),
            (".title", f"fill:{th['strong']};text-anchor:middle;font-weight:600"),
            (".legends .legend text", f"fill:{th['text']}"), ("text.no_data", f"fill:{th['text']};text-anchor:middle")]


def bucket_label(t: int, step: int, zone) -> str:
    """A bucket's time for the hover label, in the account's zone: "Tue Dec 1, 14:05" (sub-day
    buckets), "Tue Dec 1, 2026" (days), "Dec 2026" (months and longer)."""
    d = datetime.fromtimestamp(t, zone)
    if step < 86400:
        return f"{DAYS[d.weekday()]} {MONTHS[d.month - 1]} {d.day}, {d:%H:%M}"
    if step < 28 * 86400:
        return f"{DAYS[d.weekday()]} {MONTHS[d.month - 1]} {d.day}, {d.year}"
    return f"{MONTHS[d.month - 1]} {d.year}"


def _texts(s: Series, it: dict) -> list[str | None]:
    if s.texts is not None and len(s.texts) == len(it["points"]):
        return list(s.texts)
    return [None if v is None else numbers.fmt(v, s.unit) for _, v in it["points"]]


def _meta(chart, items: list[dict], zone, step: int):
    """The graph's data for graph.js: where the plot is, each series' points (pixel positions, the value
    in the one number format, the bucket's time in the account's zone), the alert marks."""
    def build() -> str:
        geom = getattr(chart, "eyrie_geom", None)
        if geom is None:
            return ""
        out = []
        for it in items:
            s = it["series"]
            out.append({"name": it["name"], "color": it["color"], "dashed": s.dashed, "unit": s.unit,
                        "kind": s.kind, "partial": it["partial"],
                        "x": [float(x) for x, _ in it["px"]],
                        "y": [None if y is None else float(y) for _, y in it["px"]],
                        "text": _texts(s, it),
                        "when": [bucket_label(t - s.shift, it["step"], zone) for t, _ in it["points"]]})
        data = {**geom, "step": step, "tz": getattr(zone, "key", "UTC"), "series": out,
                "marks": getattr(chart, "eyrie_mark_px", [])}
        return json.dumps(data, separators=(",", ":"), allow_nan=False)
    return build


def _finish(chart, th: dict, title: str | None, items: list[dict], auto: bool = False, meta=None) -> str:
    # Our own stylesheet replaces pygal's (hover effects, dashed guides, opacity tricks); every
    # rule is scoped to this chart's id so an inline SVG never restyles the page around it.
    rules = _theme_rules(th) + [
        ("text", "stroke:none"), (".axis.x text", "text-anchor:middle"), (".axis.y text", "text-anchor:end"),
        (".axis.y2 text", "text-anchor:start"), (".tooltip-overlay", "display:none")]
    rules += [(f".color-{i}", f"fill:{it['color']};stroke:none") for i, it in enumerate(items)]
    scope = f"#chart-{chart.uuid}"
    css = "".join(f"{scope} {sel}{{{decl}}}" for sel, decl in rules)
    if auto:
        # Data is drawn with fill/stroke attributes; a CSS rule beats an attribute, so the dark block
        # swaps each light colour for its dark twin by attribute value.
        dark = _theme_rules({**THEMES["dark"], "bg": "transparent"})
        dark += [(f".color-{i}", f"fill:{it['dark_color']}") for i, it in enumerate(items)]
        for it in items:
            dark += [(f'[stroke="{it["color"]}"]', f"stroke:{it['dark_color']}"),
                     (f'[fill="{it["color"]}"]', f"fill:{it['dark_color']}")]
        css += "@media (prefers-color-scheme:dark){" + "".join(f"{scope} {sel}{{{decl}}}" for sel, decl in dark) + "}"
    chart.config(css=["inline:" + css])
    chart.add_xml_filter(_scrub(title, items, chart.config.style.legend_font_size, meta))
    return chart.render(is_unicode=True)


def render_sparkline(points, *, kind: str = "value", width: int = 120, height: int = 28,
                     theme: str = "light") -> str:
    """Tiny axis-less line (values) or area (counters) for tables and lists."""
    return render_graph([Series("", list(points), kind=kind)], width=width, height=height,
                        theme=theme, style="spark")


def svg_to_png(svg: str, *, scale: float = 1.0, background: str | None = "white") -> bytes:
    """Rasterise for email. Light charts are transparent, so default to a white backdrop."""
    import cairosvg  # heavy and only needed for email, so import on demand

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale, background_color=background)
