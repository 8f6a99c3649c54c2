"""Graphite's from/until forms -> unix seconds. Pure; raises ValueError with a readable message.

Accepted: `now`, relative offsets (`-24h`, `-7d`, `-5min`, `-30s`, `-2w`, `-1mon`, `-1y`, also
`now-1h`), unix seconds, `HH:MM_YYYYMMDD`, `YYYYMMDD`, `HH:MM`, `today`, `yesterday`, `midnight`.
Absolute forms are read in UTC (graphite-web's TIME_ZONE; a `tz=` parameter may change it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Graphite reads a unit by its first letters, in this order ("m" alone is not a unit there).
_UNITS = (("s", 1), ("min", 60), ("h", 3600), ("d", 86400), ("w", 604800), ("mon", 2592000),
          ("y", 31536000))
_OFFSET = re.compile(r"^([+-])?\s*(\d+)\s*([a-z]+)$")


def unit_seconds(unit: str) -> int:
    unit = unit.lower()
    for prefix, secs in _UNITS:
        if unit.startswith(prefix):
            return secs
    raise ValueError(f"unknown time unit {unit!r}")


def parse_offset(text: str) -> int:
    """'-1h' -> -3600, '5min' -> 300."""
    m = _OFFSET.match(text.strip().lower())
    if not m:
        raise ValueError(f"not a time offset: {text!r}")
    sign = -1 if m.group(1) == "-" else 1
    return sign * int(m.group(2)) * unit_seconds(m.group(3))


def parse_time(text: str | None, now: int, default: int, tz: str = "UTC") -> int:
    if text is None or not str(text).strip():
        return default
    s = str(text).strip().lower()
    zone = UTC if tz == "UTC" else ZoneInfo(tz)
    if s == "now":
        return now
    if s.startswith("now"):
        return now + parse_offset(s[3:])
    if s[0] in "+-":
        return now + parse_offset(s)
    if s.isdigit() and len(s) != 8:  # YYYYMMDD is a date, other digit runs are unix seconds
        return int(s)
    local_now = datetime.fromtimestamp(now, zone)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    if s in ("today", "midnight"):
        return int(midnight.timestamp())
    if s == "yesterday":
        return int((midnight - timedelta(days=1)).timestamp())
    for fmt in ("%H:%M_%Y%m%d", "%Y%m%d", "%H:%M%Y%m%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"):
        try:
            return int(datetime.strptime(s, fmt).replace(tzinfo=zone).timestamp())
        except ValueError:
            pass
    try:
        t = datetime.strptime(s, "%H:%M")
        return int(midnight.replace(hour=t.hour, minute=t.minute).timestamp())
    except ValueError:
        pass
    raise ValueError(f"cannot read the time {text!r}")
