"""The listeners' pure parts: StatsD lines and flush aggregates, Graphite lines, token routing."""

from __future__ import annotations

import pytest

from app.listeners import plaintext, statsd
from app.listeners.routing import split_token


def flushed(*lines: str) -> dict[str, tuple[str, float]]:
    agg = statsd.Aggregator()
    agg.add_datagram("\n".join(lines).encode())
    return {name: (kind, value) for name, kind, value in agg.flush()}


def test_counter_with_sample_rate_adds_scaled_count():
    assert flushed("hits:3|c|@0.1", "hits:2|c") == {"hits": ("counter", pytest.approx(32.0))}


def test_gauges_set_and_deltas_across_flushes():
    agg = statsd.Aggregator()
    agg.add_datagram(b"temp:7|g\ntemp:+3|g")
    assert agg.flush() == [("temp", "value", 10.0)]
    assert agg.flush() == []  # not updated: no data point invented
    agg.add_datagram(b"temp:-2|g")
    assert agg.flush() == [("temp", "value", 8.0)]


def test_timers_histograms_and_distributions_give_mean_and_derived_stats():
    values = list(range(1, 101))  # 1..100
    lines = [f"rt:{v}|ms" for v in values[:50]] + [f"rt:{v}|h" for v in values[50:99]] + ["rt:100|d|@0.5"]
    out = flushed(*lines)
    assert out["rt"] == ("value", pytest.approx(50.5))
    assert out["rt.count"] == ("counter", pytest.approx(101.0))  # 99 + 1 / 0.5
    assert out["rt.median"] == ("value", 50.5)
    assert out["rt.upper_90"] == ("value", 90)
    assert out["rt.upper_99"] == ("value", 99)
    assert out["rt.upper"] == ("value", 100)
    assert out["rt.lower"] == ("value", 1)


def test_single_timer_sample_is_every_percentile():
    out = flushed("rt:12|ms")
    assert out["rt.upper_90"] == out["rt.median"] == out["rt.upper"] == ("value", 12)


def test_sets_count_distinct_members_per_flush():
    agg = statsd.Aggregator()
    agg.add_datagram(b"users:ann|s\nusers:bob|s\nusers:ann|s")
    assert agg.flush() == [("users", "counter", 2.0)]
    agg.add_datagram(b"users:ann|s")
    assert agg.flush() == [("users", "counter", 1.0)]


def test_several_values_per_line_and_dogstatsd_extensions():
    out = flushed("a:1|c:2|c", "b:5|c|@0.5|#env:prod,role:web", "c:1|c|#x:y|c:abc123|T1700000000",
                  "db.query:3|ms|#table:users")
    assert out["a"] == ("counter", 3.0)
    assert out["b"] == ("counter", 10.0)
    assert out["c"] == ("counter", 1.0)
    assert out["db.query"][1] == 3


@pytest.mark.parametrize("line", [
    "nocolon", "name:", ":1|c", "name:1", "name:abc|c", "name:1|zz", "name:1|c|@0", "name:1|c|@2",
    "name:nan|g", "name:inf|ms", "_e{5,4}:title|text", "_sc|check|0", "name:|s",
])
def test_malformed_lines_are_counted_and_skipped(line):
    agg = statsd.Aggregator()
    agg.add_datagram(f"ok:1|c\n{line}\nok:1|c".encode())
    assert agg.malformed == 1
    assert agg.flush() == [("ok", "counter", 2.0)]


def test_binary_garbage_never_raises():
    agg = statsd.Aggregator()
    agg.add_datagram(bytes(range(256)) * 4)
    assert agg.flush() == []
    assert agg.malformed >= 1


def test_graphite_plaintext_lines():
    assert plaintext.parse_line("a.b.c 4.5 1700000000\n", now=99) == ("a.b.c", 4.5, 1700000000)
    assert plaintext.parse_line("a.b 1 1700000000.9", now=99) == ("a.b", 1.0, 1700000000)
    assert plaintext.parse_line("a.b 1 -1", now=99) == ("a.b", 1.0, 99)
    assert plaintext.parse_line("a.b 1", now=99) == ("a.b", 1.0, 99)
    assert plaintext.parse_line("   ", now=99) is None
    for bad in ("a.b", "a.b x 1", "a.b 1 x", "a.b 1 2 3", "a.b nan 1", "a.b 1 inf"):
        with pytest.raises(plaintext.Malformed):
            plaintext.parse_line(bad, now=99)


def test_counter_patterns():
    p = plaintext.CounterPatterns()
    assert p.kind("stats_counts.api.hits") == "counter"
    assert p.kind("stats.timers.api.rt.count") == "counter"
    assert p.kind("stats.api.hits") == "value"
    assert p.kind("servers.web1.cpu") == "value"
    custom = plaintext.CounterPatterns(["*.requests", "jobs.*"])
    assert custom.kind("web.requests") == "counter"
    assert custom.kind("jobs.done.total") == "counter"
    assert custom.kind("web.requests.rate") == "value"


def test_split_token():
    assert split_token("tok.api.hits") == ("tok", "api.hits")
    assert split_token("tok") is None
    assert split_token("tok.") is None
    assert split_token(".x") is None


@pytest.mark.parametrize("line", ["a:1|c", "a: 2 |c", "a:1_0|c", "a:nan|c", "a:inf|ms", "a:+3|g", "a:-3|g", "a:7|g",
                                  "a:5|ms", " a :1|c", "a:1|c ", "a:1.5e3|c", ":1|c", "a:|c", "a:1|c|@0.5", "a:x|c"])
def test_the_one_metric_fast_path_agrees_with_the_parser(line):
    fast, slow = statsd.Aggregator(), statsd.Aggregator()
    fast.add_datagram(line.encode())
    slow.add_line(line)
    assert (sorted(fast.flush()), fast.malformed, fast.lines) == (sorted(slow.flush()), slow.malformed, slow.lines)
