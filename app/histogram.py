"""A histogram of a stat's values (StatHat's render_histogram embed), as a small self-contained SVG. Pure.

The values are the stat's per-interval figures over the timeframe (counters: sums, value stats:
means), so "how often was the hourly latency around 120 ms this week" reads at a glance.
"""

from __future__ import annotations

import math
from html import escape

from app import numbers
from app.graphs import FONT, PALETTE, THEMES

MAX_BINS = 12


def bins(values: list[float], most: int = MAX_BINS) -> list[tuple[float, float, int]]:
    """(low, high, count) over round bin edges; the last bin includes its high edge."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return []
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-12 * max(abs(hi), 1.0):
        return [(lo, hi, len(vals))]
    n = min(most, max(3, math.ceil(math.sqrt(len(vals)))))
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    width = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    start = math.floor(lo / width) * width
    count = max(1, math.ceil((hi - start) / width - 1e-9))
    counts = [0] * count
    for v in vals:
        counts[min(int((v - start) / width), count - 1)] += 1
    return [(start + i * width, start + (i + 1) * width, c) for i, c in enumerate(counts)]


def render_histogram(values: list[float], *, unit: str = "", width: int = 500, height: int = 200,
                     theme: str = "light", title: str | None = None) -> str:
    th = THEMES.get(theme, THEMES["light"])
    color = PALETTE[0]
    fs = 11
    top = 8 + (fs + 10 if title else 0)
    left, right, bottom = 34, 8, fs + 10
    pw, ph = max(width - left - right, 10), max(height - top - bottom, 10)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="eyrie-histogram" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" font-family=\'{FONT}\' font-size="{fs}" role="img">']
    if th["bg"] != "transparent":
        out.append(f'<rect width="{width}" height="{height}" fill="{th["bg"]}"/>')
    if title:
        out.append(f'<text x="{width / 2:.1f}" y="{fs + 6}" text-anchor="middle" font-weight="600" '
                   f'fill="{th["strong"]}">{escape(title)}</text>')
    hist = bins(values)
    if not hist:
        out.append(f'<text x="{width / 2:.1f}" y="{top + ph / 2:.1f}" text-anchor="middle" fill="{th["text"]}">'
                   "No data</text></svg>")
        return "".join(out)
    peak = max(c for _, _, c in hist)
    bw = pw / len(hist)
    for tick in (0, peak):
        y = top + ph - tick / peak * ph
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{th["grid"]}"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{th["text"]}">{tick}</text>')
    for i, (lo, hi, c) in enumerate(hist):
        h = c / peak * ph
        x = left + i * bw
        label = f"{numbers.fmt(lo, unit)} – {numbers.fmt(hi, unit)}: {c}"
        out.append(f'<rect class="eyrie-bin" x="{x + 1:.1f}" y="{top + ph - h:.1f}" width="{max(bw - 2, 1):.1f}" '
                   f'height="{h:.1f}" fill="{color}" data-count="{c}"><title>{escape(label)}</title></rect>')
    labels = numbers.distinct([lo for lo, _, _ in hist] + [hist[-1][1]], unit)
    every = max(1, math.ceil(len(labels) * 60 / pw))   # about 60 px per label
    for i in range(0, len(labels), every):
        anchor = "end" if i == len(labels) - 1 else "start" if i == 0 else "middle"   # edges stay inside
        out.append(f'<text x="{left + i * bw:.1f}" y="{height - 4}" text-anchor="{anchor}" fill="{th["text"]}">'
                   f"{escape(labels[i])}</text>")
    out.append("</svg>")
    return "".join(out)
