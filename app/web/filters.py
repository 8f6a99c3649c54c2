"""Jinja filters for numbers and times, shared by pages, fragments and mail."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from app.rollups import zone


def number(value, digits: int = 3) -> str:
    """1234567 -> 1.23M, 0.000123 -> 0.000123, 42 -> 42; None -> an en dash."""
    if value is None:
        return "–"
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        return "–"
    a = abs(v)
    if a >= 1e15:   # past T: 1.7e+308, not a 296-digit number of T
        return f"{v:.{digits}g}"
    # Thousands get a "k" only from 10,000 up: 1234 reads better than 1.23k.
    for limit, divisor, suffix in ((1e12, 1e12, "T"), (1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if a >= limit:
            return f"{v / divisor:.{digits}g}{suffix}"
    if v == int(v) and a < 1e4:
        return f"{int(v)}"
    return f"{v:.{digits}g}" if a < 1 else f"{v:.{max(digits - len(str(int(a))), 0) + 1}f}".rstrip("0").rstrip(".")


def localtime(ts, tz: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    if ts is None:
        return "never"
    return datetime.fromtimestamp(int(ts), UTC).astimezone(zone(tz)).strftime(fmt)


def ago(ts, now: int) -> str:
    if ts is None:
        return "no data yet"
    d = max(0, int(now) - int(ts))
    for size, name in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if d >= size:
            n = d // size
            return f"{n} {name}{'s' if n > 1 else ''} ago"
    return "just now"


def spark(values, kind: str = "value", label: str = ""):
    from app.sparklines import sparkline

    return sparkline(values, kind=kind, label=label)


def register(app) -> None:
    app.jinja_env.filters.update(number=number, localtime=localtime, ago=ago, spark=spark)
