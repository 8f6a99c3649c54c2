"""Jinja filters for numbers and times, shared by pages, fragments and mail."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup

from app import numbers
from app.rollups import zone


def number(value, digits: int = 3) -> str:
    """1234567 -> 1.23M, 0.000123 -> 0.000123, 42 -> 42; None -> an en dash (app.numbers: one format)."""
    return numbers.number(value, digits)


def amount(value, unit: str = "") -> Markup:
    """The number with the stat's unit, the unit in a span so pages can mute it: 152<span> ms</span>, $1.2k."""
    before, num, after = numbers.parts(value, unit)
    if num == numbers.DASH:
        return Markup('<span class="muted">–</span>')
    return Markup("{}{}{}").format(before, num, Markup('<span class="unit">{}</span>').format(after) if after else "")


def change(pct) -> str:
    return numbers.change(pct)


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
    app.jinja_env.globals["stat_directions"] = list(numbers.DIRECTION_LABELS.items())
    app.jinja_env.filters.update(number=number, amount=amount, change=change, localtime=localtime, ago=ago, spark=spark)
