"""Reading history to import: Graphite whisper files, StatHat export dumps, Eyrie's own downloads.

Each reader turns one file into `Series` (a stat name, its kind and its buckets) or raises
BadFile naming the file and line. Writing them is app/interactors/imports.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MINUTE, HOUR, DAY = 60, 3600, 86400


class BadFile(ValueError):
    def __init__(self, path, msg: str, line: int | None = None):
        self.path, self.line, self.msg = str(path), line, msg
        super().__init__(f"{self.path}{f':{line}' if line else ''}: {msg}")


@dataclass
class Series:
    name: str
    kind: str  # "counter" or "value"
    # (bucket start, total, number of data points, lo, hi, seconds the bucket spans)
    buckets: list[tuple[int, float, int, float, float, int]] = field(default_factory=list)


def finest_resolution(seconds: int) -> int:
    """The Eyrie rollup a bucket this wide fills: the widest of minute/hour/day not wider than it."""
    if seconds >= DAY:
        return DAY
    if seconds >= HOUR:
        return HOUR
    return MINUTE
