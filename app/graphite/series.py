"""Graphite's TimeSeries, its fetch window and its consolidation. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class TimeSeries:
    name: str
    start: int
    end: int  # exclusive end of the last step, as whisper's untilInterval
    step: int
    values: list
    path_expression: str = ""
    tags: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.path_expression:
            self.path_expression = self.name
        self.tags.setdefault("name", self.name)

    def copy(self, **changes) -> TimeSeries:
        data = dict(name=self.name, start=self.start, end=self.end, step=self.step, values=list(self.values),
                    path_expression=self.path_expression, tags=dict(self.tags))
        data.update(changes)
        return TimeSeries(**data)

    def datapoints(self) -> list:
        """[(value, timestamp), ...]; tuples, which json writes as arrays."""
        return list(zip(self.values, range(self.start, self.start + self.step * len(self.values), self.step),
                        strict=True))


def fetch_window(start: int, end: int, step: int) -> tuple[int, int]:
    """whisper's fetch: the first slot after `start`'s, through the slot holding `end`."""
    first = start - start % step + step
    until = end - end % step + step
    if first == until:
        until += step
    return first, until


def average(values):
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def consolidate(values: list, per_point: int, func=average) -> list:
    """Group every per_point values into one (None when a group has no value), like graphite-web."""
    if per_point <= 1:
        return list(values)
    return [func(values[i:i + per_point]) for i in range(0, len(values), per_point)]


def limit_points(series: TimeSeries, max_points: int, time_range: int) -> TimeSeries:
    """graphite-web's maxDataPoints step for JSON: consolidate by average, with its "nudge" that
    keeps the bands aligned from one refresh to the next."""
    if max_points == 1:
        return series.copy(values=consolidate(series.values, len(series.values)) if series.values else [],
                           step=series.step * max(1, len(series.values)))
    n = time_range / series.step
    if max_points >= n:
        return series
    per = math.ceil(n / max_points)
    seconds = per * series.step
    nudge = seconds + (series.start % series.step) - (series.start % seconds)
    values = series.values[max(0, int(nudge / series.step) - 1):]
    return series.copy(start=series.start + nudge, values=consolidate(values, per), step=seconds)


# How far back each rollup is read, like a Graphite storage schema of 1m:7d,1h:1y (graphite-web
# reads the finest archive whose retention reaches back to `from`); days beyond that.
HORIZONS = ((60, 7 * 86400), (3600, 365 * 86400), (86400, None))


def choose_step(start: int, end: int, now: int, max_points: int | None = None) -> int:
    """The rollup to read: the finest whose horizon reaches `start`; with maxDataPoints, the
    coarsest of those that still has at least maxDataPoints buckets (so no detail is lost, and
    no more rows are read than needed), consolidated afterwards as graphite-web does."""
    allowed = [step for step, horizon in HORIZONS if horizon is None or now - start <= horizon]
    if not max_points:
        return allowed[0]
    span = max(1, end - start)
    chosen = allowed[0]
    for step in allowed:
        if span / step >= max_points:
            chosen = step
    return chosen
