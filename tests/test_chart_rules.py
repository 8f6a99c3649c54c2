"""The honest-drawing rules (app/chart_rules.py) and how render_graph applies them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from app import chart_rules as cr
from app.graphs import Series, render_graph
from app.series import Bucket

H = 3600
T0 = 1_795_500_000 - 1_795_500_000 % H
NS = "{http://www.w3.org/2000/svg}"


def b(i, total=0.0, n=0):
    return Bucket(T0 + i * H, total, n, None, None)


def test_a_counter_has_no_zeros_before_its_first_data():
    buckets = [b(0), b(1), b(2, 3, 1), b(3), b(4, 2, 2)]
    since = T0 + 2 * H + 600   # the first point, inside bucket 2
    assert cr.bucket_points(buckets, "counter", since) == [
        (T0, None), (T0 + H, None), (T0 + 2 * H, 3.0), (T0 + 3 * H, 0.0), (T0 + 4 * H, 2.0)]
    # without a first-data time (or data from before the window) every empty bucket is a real zero
    assert [v for _, v in cr.bucket_points(buckets, "counter")] == [0.0, 0.0, 3.0, 0.0, 2.0]


def test_a_value_stat_has_no_value_where_it_had_no_points():
    assert [v for _, v in cr.bucket_points([b(0, 10, 2), b(1), b(2, 9, 3)], "value")] == [5.0, None, 3.0]


def test_lines_bridge_short_gaps_and_break_at_holes():
    pts = [(i, 1.0 if i % 4 == 0 else None) for i in range(0, 41)]   # a reading every 4 buckets
    pts[16:29] = [(i, None) for i in range(16, 29)]                     # ...and a hole of 15 buckets
    limit = cr.bridge_limit(pts)
    assert 3 <= limit < 15
    segs = cr.segments(pts, limit)
    assert [[t for t, _ in s] for s in segs] == [[0, 4, 8, 12], [32, 36, 40]]
    assert len(cr.segments(pts, 0)) == 7   # no bridging: every reading a lone dot


def test_two_lone_readings_far_apart_stay_dots():
    pts = [(i, None) for i in range(60)]
    pts[0], pts[57] = (0, 100.0), (57, 150.0)
    assert len(cr.segments(pts, cr.bridge_limit(pts))) == 2


def test_regular_data_bridges_a_missing_bucket_or_two():
    pts = [(i, None if i in (5, 9, 10) else 1.0) for i in range(20)]
    assert cr.bridge_limit(pts) == cr.BRIDGE_MIN
    assert len(cr.segments(pts, cr.bridge_limit(pts))) == 1


def test_the_last_bucket_is_still_filling_until_it_ends():
    assert cr.still_filling(T0, H, T0 + 10)
    assert not cr.still_filling(T0, H, T0 + H)
    assert not cr.still_filling(None, H, T0)


def _paths(svg, cls):
    return [p for p in ET.fromstring(svg).iter(NS + "path") if p.get("class") == cls]


def test_render_draws_the_partial_bucket_apart_and_lighter():
    counter = Series("hits", [(T0 + i * H, float(5 + i % 3)) for i in range(24)], kind="counter", partial=True)
    svg = render_graph([counter], step=H, style="bar")
    (tail,) = _paths(svg, "eyrie-bars eyrie-partial")
    assert tail.get("fill-opacity") == "0.4"
    line = render_graph([Series("t", [(T0 + i * H, float(i)) for i in range(24)], partial=True)], step=H)
    (last,) = _paths(line, "eyrie-line eyrie-partial")
    assert last.get("stroke-dasharray") and len(re.findall(r"[ML]", last.get("d"))) == 2
    assert not _paths(render_graph([Series("t", [(T0 + i * H, float(i)) for i in range(24)])], step=H),
                      "eyrie-line eyrie-partial")


def test_render_leaves_a_counter_blank_before_its_first_point():
    pts = [(T0 + i * H, None) for i in range(12)] + [(T0 + i * H, 4.0) for i in range(12, 24)]
    svg = render_graph([Series("young", pts, kind="counter")], step=H, style="fill")
    (area,) = _paths(svg, "eyrie-area")
    first_x = float(re.match(r"M([\d.]+)", area.get("d")).group(1))
    data = json.loads(ET.fromstring(svg).find(NS + "metadata").text)
    plot_w = data["plot"][2]
    assert first_x > plot_w * 0.45   # the area starts half-way, where the data does
    assert data["series"][0]["text"][:12] == [None] * 12 and data["series"][0]["text"][12] == "4"


def test_the_svg_carries_its_data_for_the_hover_script():
    prev = Series("previous day", [(T0 + i * H, float(i)) for i in range(24)], unit="ms", dashed=True, shift=86400)
    svg = render_graph([Series("lat", [(T0 + i * H, 1500.0 + i) for i in range(24)], unit="ms"), prev],
                       step=H, tz="Europe/Berlin",
                       marks=[(T0 + 5 * H, "triggered", "Triggered: mean > 1k (was 1.5k ms)")])
    root = ET.fromstring(svg)
    data = json.loads(root.find(NS + "metadata").text)
    assert data["tz"] == "Europe/Berlin" and data["step"] == H and len(data["plot"]) == 4
    lat, before = data["series"]
    assert lat["text"][0] == "1.5k ms" and len(lat["x"]) == len(lat["y"]) == len(lat["when"]) == 24
    assert before["dashed"] and before["when"][0] != lat["when"][0]   # the previous period's own times
    assert data["marks"][0]["label"] == "Triggered: mean > 1k (was 1.5k ms)"
    (mark,) = [g for g in root.iter(NS + "g") if (g.get("class") or "").startswith("eyrie-mark")]
    assert mark.find(NS + "title").text.startswith("Triggered")
