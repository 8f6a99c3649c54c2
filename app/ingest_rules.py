"""What the ingest API accepts: numbers, timestamps and stat names. Pure; raises Invalid.

Every bound is checked here, where the value enters, so nothing past it can fail on a value a
client sent (a sum that overflows a DOUBLE, a name the driver cannot encode, a bucket in 1970).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from app.errors import Invalid

MAX_NAME = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The largest magnitude of one count or value. A bucket sums its points: even 10^290 points of
# this size stay far below the largest DOUBLE (1.8e308), so a stored sum is always finite, and a
# count this size is still exact in a DOUBLE (integers up to 2^53, about 9e15).
MAX_NUMBER = 1e15
DAY = 86400


@dataclass(frozen=True)
class Limits:
    """The bounds a server applies to what it is sent (settings, see app.config)."""

    # StatHat clients back-date by minutes or days (queued posts after an outage, CloudWatch
    # samples), not by decades; a t in 1970 is a bug in the client, not history.
    max_backdate_days: int = 1096
    # A little ahead for skewed clocks; more is a mistake (milliseconds, or local time sent as UTC).
    max_future_seconds: int = DAY
    # Stats one account may hold (trashed ones count until purged); 0 = no limit.
    max_stats: int = 10_000


DEFAULT_LIMITS = Limits()


def _to_float(raw, field: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise Invalid(f"{field} must be a number")
    if isinstance(raw, int):  # a JSON integer may have hundreds of digits: float() would overflow
        if abs(raw) > 2**63:
            raise Invalid(f"{field} is out of range")
        return float(raw)
    if isinstance(raw, float):
        return raw
    if not isinstance(raw, str):
        raise Invalid(f"{field} must be a number")
    text = raw.strip()
    if not text:
        raise Invalid(f"{field} must be a number")
    try:
        return float(text)  # hundreds of digits give inf, refused by the caller
    except ValueError:
        shown = text[:40].encode("utf-8", "replace").decode("utf-8")
        raise Invalid(f"{field} must be a number, got {shown!r}") from None


def parse_number(raw, field: str) -> float:
    value = _to_float(raw, field)
    if math.isnan(value) or math.isinf(value):
        raise Invalid(f"{field} must be a finite number")
    if abs(value) > MAX_NUMBER:
        raise Invalid(f"{field} must be between -1e15 and 1e15")
    return value


def parse_time(raw, now: int, limits: Limits = DEFAULT_LIMITS) -> int:
    """Unix seconds; a float is truncated (StatHat silently ignored it; truncating keeps the data)."""
    if raw is None or raw == "":
        return now
    value = _to_float(raw, "t")
    if math.isnan(value):
        raise Invalid("t must be a unix time in seconds")
    if value > now + limits.max_future_seconds:
        raise Invalid(f"t is more than {_ahead(limits.max_future_seconds)} in the future: send unix seconds, "
                      "not milliseconds")
    if value < now - limits.max_backdate_days * DAY:
        raise Invalid(f"t is more than {limits.max_backdate_days} days in the past: send unix seconds")
    return int(value)


def _ahead(seconds: int) -> str:
    if seconds % DAY == 0:
        return f"{seconds // DAY} day" + ("s" if seconds != DAY else "")
    return f"{seconds} seconds"


def check_name(name: str) -> str:
    name = name.strip()
    if not is_text(name):
        raise Invalid("stat name is not valid text (a lone UTF-16 surrogate)")
    if not name:
        raise Invalid("stat name is empty")
    if len(name) > MAX_NAME:
        raise Invalid(f"stat name is longer than {MAX_NAME} characters")
    if _CONTROL.search(name):
        raise Invalid("stat name contains control characters")
    return name


def is_text(s: str) -> bool:
    """True if s can be stored: JSON may carry lone surrogates ("\\ud800"), which no UTF-8 driver encodes."""
    if s.isascii():  # the common case, without an encode
        return True
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
