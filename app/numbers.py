"""The one number format of Eyrie: pages, dashboard tiles, mails, embeds and graph axes all use it. Pure.

Three significant digits, thousands as k / M / G / T, the unit attached: 8.93 °C, 1.25k, 31.1k req/s,
$1.2k, 12.5%. Currency symbols go before the number, "%" right after it, other units after a space.
"""

from __future__ import annotations

import math

CURRENCY = frozenset({"$", "€", "£", "¥"})
DASH = "–"   # no value
_SUFFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _digits(a: float, digits: int) -> str:
    """a >= 0 with `digits` significant digits, trailing zeros dropped, never in e-notation for
    ordinary magnitudes."""
    if a == 0:
        return "0"
    if a < 1e-6:   # too small for plain decimals to be readable
        m, e = f"{a:.{digits - 1}e}".split("e")
        return f"{m.rstrip('0').rstrip('.') if '.' in m else m}e{int(e)}"
    places = max(digits - 1 - math.floor(math.log10(a)), 0)
    s = f"{a:.{places}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def number(value, digits: int = 3) -> str:
    """The number alone: 1234 -> 1.23k, 8.934 -> 8.93, 0.000123 -> 0.000123, 42 -> 42; None -> –."""
    if value is None:
        return DASH
    try:
        v = float(value)
    except (TypeError, ValueError):
        return DASH
    if math.isnan(v) or math.isinf(v):
        return DASH
    a, sign = abs(v), "-" if v < 0 else ""
    if a >= 1e15:   # beyond T: scientific, still three digits
        m, e = f"{a:.{digits - 1}e}".split("e")
        return f"{sign}{m.rstrip('0').rstrip('.')}e{int(e)}"
    for div, suffix in _SUFFIXES:
        if a >= div * (1 - 0.5 * 10 ** -digits):   # 999.96 rounds up to 1k, not to "1000"
            s = _digits(a / div, digits)
            if float(s) >= 1000 and suffix != "T":   # 999,600 -> 1M, not 1000k
                continue
            return f"{sign}{s}{suffix}"
    s = _digits(a, digits)
    if float(s) >= 1000:   # 999.7 -> 1k
        return f"{sign}1k"
    return "0" if float(s) == 0 else f"{sign}{s}"


def parts(value, unit: str = "", digits: int = 3) -> tuple[str, str, str]:
    """(before, number, after): the pieces a page may style apart (the unit is drawn muted)."""
    unit = (unit or "").strip()
    text = number(value, digits)
    if text == DASH or not unit:
        return "", text, ""
    if unit in CURRENCY:
        return ("-" + unit, text[1:], "") if text.startswith("-") else (unit, text, "")
    return "", text, unit if unit == "%" else " " + unit


def fmt(value, unit: str = "", digits: int = 3) -> str:
    """The number with its unit: 152 ms, $1.2k, 12%, 8.93 °C; None -> –."""
    return "".join(parts(value, unit, digits))


def distinct(values: list[float], unit: str = "") -> list[str]:
    """Labels for a set of values (axis ticks) in the same format, with just enough extra digits
    that no two read the same (100k, 100.25k, 100.5k rather than 100k three times)."""
    for digits in range(3, 10):
        labels = [fmt(v, unit, digits) for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return labels


def change(pct: float | None) -> str:
    """A relative change: +4.2%, -13%, 0%; None -> –."""
    if pct is None or math.isnan(pct) or math.isinf(pct):
        return DASH
    text = number(pct, 2 if abs(pct) < 10 else 3)
    return f"+{text}%" if pct > 0 and not text.startswith("-") else f"{text}%"


DIRECTIONS = ("neutral", "up", "down")   # the stat's setting: which way is good
DIRECTION_LABELS = {"neutral": "Neutral (no colour)", "up": "Up is good", "down": "Up is bad"}


def tone(pct: float | None, direction: str | None) -> str:
    """"good", "bad" or "" (neutral) for a change, by the stat's direction: only a user who said which
    way is good gets green and red ("+4.2% response time" is not good news by itself)."""
    if pct is None or pct == 0 or direction not in ("up", "down"):
        return ""
    return "good" if (pct > 0) == (direction == "up") else "bad"
