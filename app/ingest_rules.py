"""What the ingest API accepts: numbers, timestamps and stat names. Pure; raises Invalid."""

from __future__ import annotations

import math
import re

from app.errors import Invalid

MAX_NAME = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A timestamp this far ahead is a mistake (milliseconds, most often), not a schedule.
MAX_FUTURE = 366 * 86400


def parse_number(raw, field: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise Invalid(f"{field} must be a number")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            raise Invalid(f"{field} must be a number")
        try:
            value = float(text)
        except ValueError:
            raise Invalid(f"{field} must be a number, got {text[:40]!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise Invalid(f"{field} must be a finite number")
    return value


def parse_time(raw, now: int) -> int:
    """Unix seconds; a float is truncated (StatHat silently ignored it; truncating keeps the data)."""
    if raw is None or raw == "":
        return now
    value = parse_number(raw, "t")
    t = int(value)
    if t <= 0:
        raise Invalid("t must be a positive unix time in seconds")
    if t > now + MAX_FUTURE:
        raise Invalid("t is too far in the future: send unix seconds, not milliseconds")
    return t


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Invalid("stat name is empty")
    if len(name) > MAX_NAME:
        raise Invalid(f"stat name is longer than {MAX_NAME} characters")
    if _CONTROL.search(name):
        raise Invalid("stat name contains control characters")
    return name


def expand_names(raw) -> list[str]:
    """'prefix~a,b' -> ['prefix a', 'prefix b']; a plain name -> [name]. Empty parts are skipped."""
    if not isinstance(raw, str):
        raise Invalid("stat must be a string")
    if "~" not in raw:
        return [check_name(raw)]
    prefix, _, rest = raw.partition("~")
    if "~" in rest:
        raise Invalid("stat name may hold one ~ only")
    prefix = prefix.strip()
    names = []
    for part in rest.split(","):
        part = part.strip()
        if part:
            full = check_name(f"{prefix} {part}" if prefix else part)
            if full not in names:
                names.append(full)
    if not names:
        raise Invalid("no stat names after ~")
    return names


def kind_and_number(count, value) -> tuple[str, float]:
    """EZ items carry `count` (a counter) or `value` (a value stat)."""
    has_count = count is not None and count != ""
    has_value = value is not None and value != ""
    if has_count and has_value:
        raise Invalid("send count or value, not both")
    if has_count:
        return "counter", parse_number(count, "count")
    if has_value:
        return "value", parse_number(value, "value")
    raise Invalid("missing count or value")
