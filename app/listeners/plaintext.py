"""Graphite's plaintext protocol: `path value timestamp` lines. Pure.

A line with no timestamp, or with -1 (some senders use it), takes the receive time. Which
metrics are counters is a list of glob patterns (`*` matches any characters, dots included);
everything else is a value stat. The defaults catch what StatsD's Graphite backend sends as
counts, so a StatsD daemon forwarding to Eyrie keeps counters as counters.
"""

from __future__ import annotations

import fnmatch
import math
import re

DEFAULT_COUNTER_PATTERNS = ("stats_counts.*", "stats.counters.*.count", "stats.timers.*.count",
                            "stats.sets.*.count")


class Malformed(ValueError):
    pass


def parse_line(line: str, now: int) -> tuple[str, float, int] | None:
    """(path, value, unix seconds), None for a blank line; raises Malformed."""
    parts = line.split()
    if not parts:
        return None
    if len(parts) not in (2, 3):
        raise Malformed("expected: path value timestamp")
    path = parts[0]
    try:
        value = float(parts[1])
    except ValueError:
        raise Malformed(f"value is not a number: {parts[1][:40]!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise Malformed("value is not a finite number")
    ts = now
    if len(parts) == 3:
        try:
            t = float(parts[2])
        except ValueError:
            raise Malformed(f"timestamp is not a number: {parts[2][:40]!r}") from None
        if math.isnan(t) or math.isinf(t):
            raise Malformed("timestamp is not a finite number")
        if t != -1:
            ts = int(t)
    return path, value, ts


class CounterPatterns:
    def __init__(self, patterns=DEFAULT_COUNTER_PATTERNS):
        self.patterns = tuple(patterns)
        joined = "|".join(fnmatch.translate(p) for p in self.patterns)
        self._re = re.compile(joined) if joined else None
        self._cache: dict[str, str] = {}

    def kind(self, name: str) -> str:
        k = self._cache.get(name)
        if k is None:
            k = "counter" if self._re is not None and self._re.match(name) else "value"
            if len(self._cache) < 100_000:
                self._cache[name] = k
        return k
