"""StatsD lines -> per-flush aggregates. Pure: no sockets, no clock, no database.

What a flush produces (a metric keeps its own name; no `stats.`/`stats_counts.` prefixes,
since Eyrie stores counters and values as different kinds anyway):

| sent                         | stored at flush time                                          |
|------------------------------|---------------------------------------------------------------|
| `name:3|c`, `name:3|c|@0.1`  | counter `name` += 3 / sample rate (so `@0.1` adds 30)          |
| `name:7|g`                   | value `name` = 7 (the last gauge of the interval)             |
| `name:+3|g`, `name:-2|g`     | value `name` = previous gauge + delta (kept across flushes)   |
| `name:12|ms` (`|h`, `|d`)    | value `name` = mean of the interval's samples, and            |
|                              | counter `name.count` (samples / sample rate),                 |
|                              | values `name.median` (p50), `name.upper_90` (p90),            |
|                              | `name.upper_99` (p99), `name.upper` (max), `name.lower` (min) |
| `name:u42|s`                 | counter `name` += number of distinct values this interval     |

Percentiles follow StatsD's Graphite backend: `upper_N` is the largest of the lowest N % of the
sorted samples (round(N/100 * count) of them); the median is the middle sample, or the mean of
the two middle ones. A gauge is stored only in intervals that updated it (StatsD re-sends the
last gauge every flush; Eyrie shows a gap instead of inventing data points).

Several metrics per datagram (one per line), several values per line (`name:1|c:2|c`), and
DogStatsD extensions are accepted: tags `|#a:b,c` and container ids `|c:ID` are ignored, a
`|T<unix>` timestamp is ignored too (every aggregate lands at its flush time). DogStatsD events
(`_e{...}`) and service checks (`_sc|...`) are skipped as unsupported.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

TIMER_TYPES = ("ms", "h", "d")
PERCENTILES = (90, 99)
# A piece after a ':' starts a new value only if it looks like "number|type"; anything else (a
# DogStatsD container id, a set member with ':' in it) belongs to the piece before it.
_VALUE_START = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\|")


class Malformed(ValueError):
    """A line StatsD would not understand; counted and skipped."""


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    kind: str  # "c", "g", "ms" (h and d are folded into ms), "s"
    value: float | str  # a set's member is kept as sent
    rate: float = 1.0
    delta: bool = False  # gauges only: "+3" / "-2"


def _number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise Malformed(f"not a number: {text[:40]!r}") from None
    if math.isnan(v) or math.isinf(v):
        raise Malformed("not a finite number")
    return v


def parse_line(line: str) -> list[Sample]:
    """One StatsD line -> its samples. Raises Malformed."""
    line = line.strip()
    if not line:
        return []
    if line.startswith("_e{") or line.startswith("_sc|"):
        raise Malformed("DogStatsD events and service checks are not supported")
    name, sep, rest = line.partition(":")
    name = name.strip()
    if not sep or not name or not rest:
        raise Malformed("expected name:value|type")
    pieces: list[str] = []
    for piece in rest.split(":"):
        if pieces and not _VALUE_START.match(piece):
            pieces[-1] += ":" + piece
        else:
            pieces.append(piece)
    return [_sample(name, piece) for piece in pieces]


def _sample(name: str, piece: str) -> Sample:
    segs = piece.split("|")
    if len(segs) < 2:
        raise Malformed("expected value|type")
    raw, kind = segs[0].strip(), segs[1].strip()
    rate = 1.0
    for seg in segs[2:]:
        if seg.startswith("@"):
            rate = _number(seg[1:])
            if not 0 < rate <= 1:
                raise Malformed("sample rate must be in (0, 1]")
        # '#tags', 'c:container', 'T<unix>' (DogStatsD) and anything newer: ignored.
    if kind in TIMER_TYPES:
        return Sample(name, "ms", _number(raw), rate)
    if kind == "c":
        return Sample(name, "c", _number(raw), rate)
    if kind == "g":
        return Sample(name, "g", _number(raw), rate, delta=raw[:1] in "+-")
    if kind == "s":
        if not raw:
            raise Malformed("empty set member")
        return Sample(name, "s", raw, rate)
    raise Malformed(f"unknown metric type {kind[:10]!r}")


def _percentile(sorted_values: list[float], pct: int) -> float:
    n = len(sorted_values)
    if n == 1:
        return sorted_values[0]
    k = max(1, round(pct / 100 * n))
    return sorted_values[k - 1]


def _median(sorted_values: list[float]) -> float:
    n = len(sorted_values)
    mid = n // 2
    return sorted_values[mid] if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2


@dataclass
class Aggregator:
    """Samples of one flush interval. `flush()` returns (name, kind, number) triples with kind
    "counter" or "value" and starts the next interval; gauges keep their last value for deltas."""

    counters: dict[str, float] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)
    touched_gauges: set[str] = field(default_factory=set)
    timers: dict[str, list[float]] = field(default_factory=dict)
    timer_counts: dict[str, float] = field(default_factory=dict)
    sets: dict[str, set] = field(default_factory=dict)
    lines: int = 0
    malformed: int = 0
    last_error: str = ""

    def add_datagram(self, data: bytes | str) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if "\n" not in text and self._fast(text):
            return
        for line in text.splitlines():
            self.add_line(line)

    def _fast(self, line: str) -> bool:
        """The shape nearly every client sends, one `name:value|c`, `|ms` or `|g` per datagram, without
        building a Sample; False sends anything else (or anything odd) through parse_line."""
        name, _, rest = line.partition(":")
        value, _, kind = rest.partition("|")
        kind = kind.rstrip()
        if kind not in ("c", "ms", "g") or not value or value[-1:].isspace():
            return False
        name = name.strip()
        if not name:
            return False
        try:
            v = float(value)
        except ValueError:
            return False
        if v - v != 0 or "_" in value:  # NaN, infinity; "1_000" is a Python number but not StatsD's
            return False
        self.lines += 1
        if kind == "c":
            self.counters[name] = self.counters.get(name, 0.0) + v
        elif kind == "ms":
            self.timers.setdefault(name, []).append(v)
            self.timer_counts[name] = self.timer_counts.get(name, 0.0) + 1.0
        else:
            self.gauges[name] = (self.gauges.get(name, 0.0) + v) if value[0] in "+-" else v
            self.touched_gauges.add(name)
        return True

    def add_line(self, line: str) -> None:
        try:
            samples = parse_line(line)
        except Malformed as exc:
            self.malformed += 1
            self.last_error = f"{exc}: {line[:80]!r}"
            return
        if samples:
            self.lines += 1
        for s in samples:
            self.add(s)

    def add(self, s: Sample) -> None:
        if s.kind == "c":
            self.counters[s.name] = self.counters.get(s.name, 0.0) + s.value / s.rate
        elif s.kind == "g":
            self.gauges[s.name] = (self.gauges.get(s.name, 0.0) + s.value) if s.delta else s.value
            self.touched_gauges.add(s.name)
        elif s.kind == "ms":
            self.timers.setdefault(s.name, []).append(s.value)
            self.timer_counts[s.name] = self.timer_counts.get(s.name, 0.0) + 1 / s.rate
        else:
            self.sets.setdefault(s.name, set()).add(s.value)

    def flush(self) -> list[tuple[str, str, float]]:
        out: list[tuple[str, str, float]] = [(n, "counter", v) for n, v in self.counters.items()]
        out += [(n, "value", self.gauges[n]) for n in self.touched_gauges]
        for name, values in self.timers.items():
            values.sort()
            out.append((name, "value", sum(values) / len(values)))
            out.append((f"{name}.count", "counter", self.timer_counts[name]))
            out.append((f"{name}.median", "value", _median(values)))
            for pct in PERCENTILES:
                out.append((f"{name}.upper_{pct}", "value", _percentile(values, pct)))
            out.append((f"{name}.upper", "value", values[-1]))
            out.append((f"{name}.lower", "value", values[0]))
        out += [(n, "counter", float(len(members))) for n, members in self.sets.items()]
        self.counters, self.timers, self.timer_counts, self.sets = {}, {}, {}, {}
        self.touched_gauges = set()
        return out
