"""app.graphs: assertions on the real SVG output (no Flask, no database)."""

import re
import xml.etree.ElementTree as ET

import pytest

from app.graphs import Series, fmt_number, render_graph, render_sparkline, svg_to_png

NS = {"s": "http://www.w3.org/2000/svg"}
Q = "{http://www.w3.org/2000/svg}"   # ElementTree's qualified-name prefix
DAY0 = 1_795_737_600          # 2026-11-27 00:00 UTC
HOUR, MINUTE = 3600, 60


def hourly(n, start=DAY0, value=lambda i: 10.0 + i % 7, **kw):
    return Series("s", [(start + i * HOUR, value(i)) for i in range(n)], **kw)


def tree(svg):
    return ET.fromstring(svg)


def data_paths(svg, cls):
    return [p for p in tree(svg).iter(Q + "path") if p.get("class") == cls]


def axis_labels(svg, axis):
    root = tree(svg)
    for g in root.iter(Q + "g"):
        if g.get("class", "").split()[:2] == ["axis", axis]:
            return [t.text for t in g.iter(Q + "text")]
    return []


def subpaths(d):
    return d.count("M")


def test_returns_lean_standalone_svg():
    svg = render_graph([hourly(24)])
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<script" not in svg
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", svg))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    root = tree(svg)   # well-formed
    assert root.get("viewBox") == "0 0 800 300"
    # No fixed size: the page decides how wide it is.
    assert root.get("width") is None and root.get("height") is None
    assert not root.findall("s:circle", NS)   # no per-point dots


def test_value_gap_breaks_the_line_instead_of_dropping_to_zero():
    pts = [(DAY0 + i * MINUTE, 100.0 + i) for i in range(60)]
    pts[20:30] = [(t, None) for t, _ in pts[20:30]]
    svg = render_graph([Series("latency", pts, unit="ms")], step=MINUTE)
    (line,) = data_paths(svg, "eyrie-line")
    assert subpaths(line.get("d")) == 2
    # 50 real readings -> 50 vertices; nothing was invented for the gap.
    assert len(re.findall(r"[ML]", line.get("d"))) == 50
    labels = axis_labels(svg, "y")
    assert labels[0] != "0ms"   # 100..159 ms: the axis is not forced down to zero


def test_counter_none_means_zero():
    pts = [(DAY0 + i * HOUR, None if i == 5 else 10) for i in range(24)]
    svg = render_graph([Series("hits", pts, kind="counter")])
    (bars,) = data_paths(svg, "eyrie-bars")
    assert bars.get("d").count("Z") == 23   # the None bucket is a zero-height (omitted) bar


def test_counter_renders_bars_with_zero_based_axis():
    svg = render_graph([hourly(24, value=lambda i: 100 + i, kind="counter")])
    (bars,) = data_paths(svg, "eyrie-bars")
    assert bars.get("d").count("Z") == 24
    assert not data_paths(svg, "eyrie-line")
    assert axis_labels(svg, "y")[0] == "0"


def test_dense_counter_renders_filled_area():
    pts = [(DAY0 + i * MINUTE, i % 13) for i in range(1440)]
    svg = render_graph([Series("hits", pts, kind="counter")], step=MINUTE)
    assert data_paths(svg, "eyrie-area")
    assert not data_paths(svg, "eyrie-bars")


def test_comparison_series_is_dashed_and_in_legend():
    cur = hourly(168)
    prev = Series("previous week", [(t, v - 2) for t, v in cur.points], dashed=True)
    svg = render_graph([cur, prev])
    lines = data_paths(svg, "eyrie-line")
    assert len(lines) == 2
    assert lines[0].get("stroke-dasharray") is None
    assert lines[1].get("stroke-dasharray")
    assert lines[1].get("stroke") != lines[0].get("stroke")   # muted
    legend = [t.text for g in tree(svg).iter(Q + "g") if g.get("class") == "legends"
              for t in g.iter(Q + "text")]
    assert legend == ["s", "previous week"]


def test_single_series_has_no_legend():
    svg = render_graph([hourly(24)])
    assert 'class="legends"' not in svg


def test_dark_theme_uses_dark_background():
    dark = render_graph([hourly(24)], theme="dark")
    light = render_graph([hourly(24)], theme="light")
    assert "#111827" in dark
    assert "#111827" not in light


def test_labels_follow_timezone():
    day = hourly(24)   # 2026-11-27 00:00 .. 24:00 UTC
    utc = axis_labels(render_graph([day], tz="UTC"), "x")
    la = axis_labels(render_graph([day], tz="America/Los_Angeles"), "x")
    assert utc == ["03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]
    # UTC-8: the window is 16:00 Nov 26 .. 16:00 Nov 27 local; local midnight names the day.
    assert la == ["18:00", "21:00", "Nov 27", "03:00", "06:00", "09:00", "12:00", "15:00"]


@pytest.mark.parametrize(
    ("n", "step", "pattern", "lo", "hi"),
    [
        (60, MINUTE, r"^\d\d:\d\d$", 4, 10),                               # 1 hour
        (168, HOUR, r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d+$", 6, 10),        # 1 week
        (30, 86400, r"^[A-Z][a-z]{2} \d+$", 3, 10),                        # 1 month
        (365, 86400, r"^[A-Z][a-z]{2} 20\d\d$", 5, 10),                    # 1 year
        (6, 86400 * 365, r"^20\d\d$", 3, 10),                              # multi-year
    ],
)
def test_time_axis_formats_per_timeframe(n, step, pattern, lo, hi):
    s = Series("s", [(DAY0 - (n - i) * step, float(i)) for i in range(n)])
    labels = axis_labels(render_graph([s], step=step, tz="Europe/Berlin"), "x")
    assert lo <= len(labels) <= hi, labels
    assert all(re.match(pattern, lb) for lb in labels), labels


def test_secondary_axis_gets_its_own_round_labels_and_unit():
    a = hourly(48, value=lambda i: 1000 + 40 * i, kind="counter", unit="req")
    b = Series("errors", [(t, 0.1 * (i % 9)) for i, (t, _) in enumerate(a.points)], unit="%", secondary=True)
    svg = render_graph([a, b])
    y2 = axis_labels(svg, "y2")
    assert y2 and all(lb.endswith("%") for lb in y2)
    assert len(y2) == len(axis_labels(svg, "y"))   # shares the primary grid lines
    assert axis_labels(svg, "y")[-1].endswith(" req")


@pytest.mark.parametrize(
    "series",
    [[], [Series("x", [])], [Series("x", [(DAY0, None), (DAY0 + HOUR, None)])],
     [Series("x", [(DAY0, None)], kind="counter")]],
)
def test_empty_input_says_no_data(series):
    svg = render_graph(series)
    assert svg.startswith("<svg")
    assert "No data" in svg


def test_more_than_2000_points_are_reduced():
    pts = [(DAY0 + i * MINUTE, float(i % 50)) for i in range(6000)]
    (line,) = data_paths(render_graph([Series("s", pts)], step=MINUTE), "eyrie-line")
    vertices = len(re.findall(r"[ML]", line.get("d")))
    assert 500 <= vertices <= 2000


def test_y_labels_are_human_formatted():
    assert fmt_number(1200) == "1.2k"
    assert fmt_number(3_400_000) == "3.4M"
    assert fmt_number(0.25) == "0.25"
    assert fmt_number(250, "ms") == "250 ms"
    assert fmt_number(2500, "$") == "$2.5k"
    svg = render_graph([hourly(24, value=lambda i: 2_000_000 + 100_000 * i)])
    assert all(re.match(r"^\d+(\.\d+)?M$", lb) for lb in axis_labels(svg, "y"))


def test_spark_and_mini():
    spark = render_sparkline([(DAY0 + i * HOUR, i % 5) for i in range(50)])
    root = tree(spark)
    assert (root.get("width"), root.get("height")) == ("120", "28")
    assert not axis_labels(spark, "x") and not axis_labels(spark, "y")
    assert data_paths(spark, "eyrie-line")
    mini = render_graph([hourly(168)], width=300, height=100, style="mini")
    assert 2 <= len(axis_labels(mini, "x")) <= 4


def test_css_is_scoped_and_class_applied():
    svg = render_graph([hourly(24)], css_class="stat-graph", title="Signups")
    root = tree(svg)
    assert "stat-graph" in root.get("class").split()
    chart_id = root.get("id")
    css = root.find("s:defs/s:style", NS).text
    rules = [r for r in css.split("}") if r.strip()]
    assert all(r.strip().startswith("#" + chart_id) for r in rules)   # never leaks into the page
    assert root.find("s:title", NS).text == "Signups"


def test_svg_to_png():
    pytest.importorskip("cairosvg")
    png = svg_to_png(render_graph([hourly(24)], theme="dark"))
    assert png.startswith(b"\x89PNG")


def test_accepts_decimal_values_from_the_database():
    from decimal import Decimal

    pts = [(DAY0 + i * HOUR, Decimal("1.5") * i) for i in range(24)]
    svg = render_graph([Series("s", pts, kind="counter")])
    assert data_paths(svg, "eyrie-bars")


def _coords(d):
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", d)]


@pytest.mark.parametrize("values", [
    [1.7e308, -1.7e308, 5.0],        # a range (3.4e308) past the largest float
    [1.7e308, 1.7e308],              # flat at the top of the float range
    [-1.7e308],                      # a single huge negative reading
    [1e-300, 2e-300, 3e-300],        # a range so small a tick step vanishes
    [5e-324, 1e-323],                # subnormals
])
@pytest.mark.parametrize("kind", ["value", "counter"])
@pytest.mark.parametrize("style", ["auto", "spark", "mini", "line", "fill", "bar"])
def test_huge_and_tiny_values_draw_with_finite_coordinates(values, kind, style):
    s = Series("s", [(DAY0 + i * HOUR, v) for i, v in enumerate(values)], kind=kind)
    svg = render_graph([s], style=style)
    assert not re.search(r"inf|nan", svg, re.I)
    drawn = data_paths(svg, "eyrie-line") + data_paths(svg, "eyrie-area") + data_paths(svg, "eyrie-bars")
    dots = [c for c in tree(svg).iter(Q + "circle") if c.get("class") == "eyrie-dot"]
    assert drawn or dots
    for p in drawn:
        assert all(-1 <= c <= 1000 for c in _coords(p.get("d")))   # inside the 800x300 box
    for c in dots:
        assert 0 <= float(c.get("cx")) <= 800 and 0 <= float(c.get("cy")) <= 300


def test_huge_values_get_exponent_labels_from_the_real_values():
    s = Series("s", [(DAY0, 1.7e308), (DAY0 + HOUR, -1.7e308)])
    assert axis_labels(render_graph([s]), "y") == ["-2e308", "-1e308", "0", "1e308", "2e308"]
    tiny = Series("s", [(DAY0, 1e-300), (DAY0 + HOUR, 2e-300)])
    labels = axis_labels(render_graph([tiny]), "y")
    assert labels[0] == "1e-300" and labels[-1] == "2e-300"


def test_huge_values_on_a_second_axis_and_many_points():
    huge = Series("huge", [(DAY0 + i * MINUTE, 1.7e308 * (-1) ** i) for i in range(5000)], unit="ms", secondary=True)
    svg = render_graph([hourly(24), huge], step=MINUTE)
    assert not re.search(r"inf|nan", svg, re.I)
    labels = axis_labels(svg, "y2")
    assert labels and all(re.fullmatch(r"-?[\d.]+(e\d+)? ms", lb) for lb in labels)   # the unit after a space


def test_infinity_from_an_overflowed_sum_draws_at_the_largest_float():
    svg = render_graph([Series("s", [(DAY0, float("inf")), (DAY0 + HOUR, 1.0), (DAY0 + 2 * HOUR, float("nan"))])])
    assert not re.search(r"inf|nan", svg, re.I)
    assert axis_labels(svg, "y")[-1] == "2e308"


def test_fmt_number_huge_and_tiny():
    assert fmt_number(1.7e308) == "1.7e308"
    assert fmt_number(-2e20, "$") == "-$2e20"
    assert fmt_number(1e-12) == "1e-12"
    assert fmt_number(2.5, "", 300) == "2.5e300"
    assert fmt_number(0.0, "", 300) == "0"


def test_group_means_of_the_largest_float_do_not_round_to_infinity():
    # 3,000 points -> groups of 3; MAX/3 + MAX/3 + MAX/3 rounds past MAX.
    top = 1.7976931348623157e308
    svg = render_graph([Series("s", [(DAY0 + i * MINUTE, top) for i in range(3000)])], step=MINUTE)
    assert not re.search(r"inf|nan", svg, re.I)
