"""Render sample graphs to /tmp/graphs/*.svg and *.png and print render times.

Run: python bench/graphs_look.py   (needs pygal and CairoSVG)
Then look at the PNGs: this is how graph styling gets checked by eye.
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.graphs import Series, render_graph, render_sparkline, svg_to_png  # noqa: E402

OUT = Path("/tmp/graphs")
END = 1_764_000_000 // 86400 * 86400 + 14 * 3600   # a fixed afternoon, UTC


def week_temps() -> list[Series]:
    rnd = random.Random(1)
    step, n = 3600, 168
    start = END - n * step

    def temp(t, shift):
        hour = (t % 86400) / 3600
        return round(14 + shift + 6 * math.sin((hour - 9) / 24 * 2 * math.pi) + rnd.gauss(0, 0.6), 1)

    now = [(start + i * step, temp(start + i * step, 0)) for i in range(n)]
    prev = [(start + i * step, temp(start + i * step, -2.5)) for i in range(n)]
    return [Series("temperature", now, unit="°C"), Series("previous week", prev, unit="°C", dashed=True)]


def day_counts() -> list[Series]:
    rnd = random.Random(2)
    step, n = 60, 1440
    start = END - n * step
    pts = []
    for i in range(n):
        hour = ((start + i * step) % 86400) / 3600
        rate = 40 + 35 * math.sin((hour - 8) / 24 * 2 * math.pi)
        pts.append((start + i * step, max(0, round(rnd.gauss(rate, 8))) if rnd.random() > 0.01 else None))
    return [Series("signups", pts, kind="counter")]


def day_hourly_counts() -> list[Series]:
    rnd = random.Random(5)
    start = END - 24 * 3600
    now = [(start + i * 3600, rnd.randint(800, 2400)) for i in range(24)]
    prev = [(start + i * 3600, rnd.randint(700, 2200)) for i in range(24)]
    return [Series("requests", now, kind="counter"), Series("yesterday", prev, kind="counter", dashed=True)]


def hour_latency() -> list[Series]:
    rnd = random.Random(3)
    start = END - 3600
    pts = [(start + i * 60, None if 22 <= i < 31 else round(abs(rnd.gauss(180, 40)), 1)) for i in range(60)]
    return [Series("response time", pts, unit="ms")]


def overlay() -> list[Series]:
    rnd = random.Random(4)
    start, step, n = END - 30 * 86400, 86400, 30
    rev = [(start + i * step, rnd.uniform(1500, 5200)) for i in range(n)]
    err = [(start + i * step, rnd.uniform(0.1, 2.4)) for i in range(n)]
    return [Series("revenue", rev, kind="counter", unit="$"),
            Series("error rate", err, unit="%", secondary=True)]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    week = week_temps()
    cases = [
        ("week", week, dict(step=3600, tz="Europe/Berlin")),
        ("day_bars", day_counts(), dict(step=60, style="bar", tz="America/Los_Angeles")),
        ("day_hourly", day_hourly_counts(), dict(step=3600)),
        ("hour_gap", hour_latency(), dict(step=60, title="Response time")),
        ("overlay", overlay(), dict(step=86400)),
        ("mini", week[:1], dict(step=3600, width=300, height=100, style="mini")),
        ("year", [Series("users", [(END - (365 - i) * 86400, 1000 + i * 37.5) for i in range(365)])],
         dict(step=86400)),
        ("empty", [Series("nothing", [(END, None)])], dict()),
    ]
    for theme in ("light", "dark"):
        for name, series, kw in cases:
            render_graph(series, theme=theme, **kw)   # warm-up: imports, caches
            t0 = time.perf_counter()
            svg = render_graph(series, theme=theme, **kw)
            ms = (time.perf_counter() - t0) * 1000
            npts = sum(len(s.points) for s in series)
            write(f"{name}_{theme}", svg)
            print(f"{name:12s} {theme:5s} {npts:5d} pts {ms:6.1f} ms  {len(svg) / 1024:5.1f} KiB")
        t0 = time.perf_counter()
        svg = render_sparkline(week[0].points, theme=theme)
        print(f"{'spark':12s} {theme:5s} {168:5d} pts {(time.perf_counter() - t0) * 1000:6.1f} ms")
        write(f"spark_{theme}", svg, scale=3)


def write(name: str, svg: str, scale: float = 1.0) -> None:
    (OUT / f"{name}.svg").write_text(svg)
    bg = "#111827" if name.endswith("dark") else "white"
    (OUT / f"{name}.png").write_bytes(svg_to_png(svg, scale=scale, background=bg))


if __name__ == "__main__":
    main()
