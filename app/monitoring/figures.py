"""A process's figures between two flushes: counters are summed, values averaged. Pure, thread-safe."""

from __future__ import annotations

import threading


class Figures:
    def __init__(self, prefix: str):
        self.prefix = prefix           # "eyrie web": every stat name starts with it
        self._lock = threading.Lock()
        self._counts: dict[str, float] = {}
        self._values: dict[str, list[float]] = {}  # name -> [sum, n]

    def count(self, name: str, n: float = 1.0) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0.0) + n

    def value(self, name: str, v: float) -> None:
        with self._lock:
            acc = self._values.setdefault(name, [0.0, 0])
            acc[0] += v
            acc[1] += 1

    def drain(self) -> list[tuple[str, str, float]]:
        """(full stat name, "counter" | "value", number) for everything since the last drain."""
        with self._lock:
            counts, values = self._counts, self._values
            self._counts, self._values = {}, {}
        out = [(f"{self.prefix} {k}", "counter", n) for k, n in sorted(counts.items())]
        out += [(f"{self.prefix} {k}", "value", s / n) for k, (s, n) in sorted(values.items()) if n]
        return out


def route_group(path: str) -> str:
    """Requests are counted per group of routes, not per URL (URLs hold keys and ids)."""
    if path in ("/ez", "/c", "/v"):
        return path[1:]
    if path.startswith("/x/"):
        return "api"
    if path.startswith(("/embed/", "/s/")):
        return "embed"
    if path.startswith("/static/"):
        return "static"
    return "page"
