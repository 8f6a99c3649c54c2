"""Eyrie watches itself, as StatHat did (EYRIE_SELF_MONITOR=EMAIL).

Each process keeps its own figures in memory (figures.py: pure) and a flusher thread (monitor.py)
records them every 10-60 s, in ONE bulk write, as stats of that account through the ordinary ingest
interactor, so they are graphed, dashboarded and alerted on like any other stats. The hooks below
are what the rest of the app calls; with self-monitoring off they do nothing.
"""

from __future__ import annotations

from app.monitoring.figures import Figures

_current: Figures | None = None


def active() -> Figures | None:
    return _current


def set_active(figures: Figures | None) -> None:
    global _current
    _current = figures


def count(name: str, n: float = 1.0) -> None:
    if _current is not None:
        _current.count(name, n)


def value(name: str, v: float) -> None:
    if _current is not None:
        _current.value(name, v)
