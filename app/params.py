"""Whole numbers from query strings and forms, parsed strictly. Pure.

Every numeric parameter a client sends (offsets, ids, sizes, refresh seconds, pixels, unix times)
goes through here, because Python's own checks are too loose for input: '²'.isdigit() is true but
int('²') fails, int() quietly reads '٣' (Arabic-Indic three), ' 7 ', '+7' and '1_000', refuses more
than 4,300 digits with a ValueError, and float('1e400') is infinity. A parameter is ASCII digits
(a minus sign only where negatives make sense), a bounded number of them, within its own limits;
anything else is an Invalid (a 400) naming the field.
"""

from __future__ import annotations

import re

from app.errors import Invalid

# At most 18 digits: below 2**63, so a bounded value always fits a database integer.
_INT = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{0,9})?")   # 500.0, 1700000000.25


def _value(text: str, lo: int, hi: int, decimals: bool = False) -> int | None:
    if not (_DECIMAL if decimals else _INT).fullmatch(text) or (text.startswith("-") and lo >= 0):
        return None
    value = int(text.split(".")[0])
    return value if lo <= value <= hi else None


def parse_int(raw, *, field: str, lo: int, hi: int, default: int | None = None, label: str | None = None,
              decimals: bool = False) -> int:
    """raw (a str, or None / "" for `default`) as an int in [lo, hi], else Invalid naming `field`.

    decimals: also accept a fraction ('500.0', a unix time '1700000000.25'), truncated toward zero."""
    text = "" if raw is None else str(raw).strip()
    if text == "" and default is not None:
        return default
    value = _value(text, lo, hi, decimals)
    if value is None:
        raise Invalid(f"{label or field} must be a whole number from {lo} to {hi}, not {text[:20]!r}", field=field)
    return value


def is_int(raw, lo: int, hi: int) -> bool:
    """Whether raw would parse: for a value that is looked up rather than refused (an id in a URL
    path is a 404 when it is no id)."""
    return _value("" if raw is None else str(raw).strip(), lo, hi) is not None
