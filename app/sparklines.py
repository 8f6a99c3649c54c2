"""Tiny inline SVG sparklines for lists. Pure.

Hand-drawn polylines rather than pygal: a list of 100 stats needs 100 of these, and pygal's fixed
cost (~4 ms each) would dominate the page; a polyline costs microseconds.
"""

from __future__ import annotations

from markupsafe import Markup, escape


def sparkline(values: list[float | None], *, width: int = 120, height: int = 28, kind: str = "value",
              label: str = "") -> Markup:
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    title = f"<title>{escape(label)}</title>" if label else ""
    if not pts:
        return Markup(f'<svg class="sparkline" viewBox="0 0 {width} {height}" role="img">{title}'
                      f'<line x1="0" y1="{height - 1}" x2="{width}" y2="{height - 1}" class="spark-empty"/></svg>')
    lo = min(0.0, *(v for _, v in pts)) if kind == "counter" else min(v for _, v in pts)
    hi = max(v for _, v in pts)
    span = (hi / 2 - lo / 2) or 1.0   # halves: 1.7e308 - -1.7e308 is no float
    n = max(len(values) - 1, 1)
    pad = 2

    def xy(i, v):
        y = height - pad - (v / 2 - lo / 2) / span * (height - 2 * pad)
        return f"{i / n * (width - 2 * pad) + pad:.1f},{y:.1f}"

    # Values: break the line where a bucket had no data; counters: no data is zero.
    segments, current = [], []
    for i, v in enumerate(values):
        if v is None and kind != "counter":
            if current:
                segments.append(current)
            current = []
            continue
        current.append(xy(i, 0.0 if v is None else v))
    if current:
        segments.append(current)
    lines = "".join(f'<polyline points="{" ".join(seg)}"/>' for seg in segments)
    area = ""
    if kind == "counter" and segments:
        first, last = segments[0][0].split(",")[0], segments[-1][-1].split(",")[0]
        outline = " ".join(segments[0])
        area = f'<polygon class="spark-area" points="{first},{height - pad} {outline} {last},{height - pad}"/>'
    return Markup(f'<svg class="sparkline {kind}" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img">'
                  f"{title}{area}<g class=\"spark-line\">{lines}</g></svg>")
