"""StatHat export dumps and Eyrie's own downloads (JSON and CSV) -> Series. Pure (text in).

JSON shapes read:
- StatHat's export API `/x/TOKEN/data/...` (Eyrie's too): `[{"name", "timeframe", "points":
  [{"time", "value"[, "count"]}]}]`;
- StatHat's `/a1/stats/ID/dataset_full`: `{"Name", "Timeframe", "Kind", "Points": [{"Time",
  "Value", "Rcount"}]}`, or a list of them;
- an Eyrie download (stat page, JSON): `{"stat": {"name", "kind"}, "timeframe": {...}, "points":
  [{"time", "value", "count"}]}`.
CSV: a header naming `time` and `value` columns, with `name` (or `stat`) for several stats in one
file, and `count` optional (Eyrie's download: `time,iso_time,value,count`).

A bucket's width comes from the timeframe (`1 week @ 3 hours`), else from the spacing of its
times. With a count, empty buckets (count 0) are skipped and a value bucket stores mean x count
over count points, so a download imported and downloaded again gives the same file. Without one,
a counter's 0 is an empty bucket and any other number is one data point (StatHat's value exports
cannot tell an empty bucket from a 0: it is imported as 0).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import datetime

from app.importers import BadFile, Series

_UNITS = {"minute": 60, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400, "week": 604800,
          "w": 604800, "month": 2592000, "M": 2592000, "year": 31536000, "y": 31536000}
_INTERVAL = re.compile(r"@\s*(\d+)\s*([A-Za-z]+?)s?\s*$")


def _interval(timeframe) -> int | None:
    if isinstance(timeframe, dict):
        timeframe = timeframe.get("detail") or timeframe.get("label") or ""
    if not isinstance(timeframe, str):
        return None
    m = _INTERVAL.search(timeframe.strip())
    if not m:
        return None
    unit = m.group(2) if m.group(2) == "M" else m.group(2).lower()
    secs = _UNITS.get(unit)
    return int(m.group(1)) * secs if secs else None


def _spacing(times: list[int]) -> int:
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    return min(gaps) if gaps else 60


def _number(raw, what: str, where) -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{what} must be a number{where}")
    try:
        v = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {str(raw)[:30]!r}{where}") from None
    if math.isnan(v) or math.isinf(v):
        raise ValueError(f"{what} must be a finite number{where}")
    return v


def _time(raw, where) -> int:
    if isinstance(raw, str) and not raw.strip().lstrip("-").replace(".", "", 1).isdigit():
        try:
            return int(datetime.fromisoformat(raw.strip().replace("Z", "+00:00")).timestamp())
        except ValueError:
            raise ValueError(f"time {raw[:40]!r} is neither unix seconds nor ISO 8601{where}") from None
    t = _number(raw, "time", where)
    if t is None or t <= 0:
        raise ValueError(f"time must be positive unix seconds{where}")
    return int(t)


def _buckets(kind: str, rows: list[tuple[int, float | None, float | None]], width: int | None):
    """rows: (time, value, count or None) -> Series buckets."""
    width = width or _spacing(sorted(t for t, _, _ in rows))
    out = []
    for t, value, count in rows:
        if count is not None:
            n = int(count)
            if n <= 0 or value is None:
                continue
        else:
            if value is None or (kind == "counter" and value == 0):
                continue
            n = 1
        total = value if kind == "counter" else value * n
        out.append((t, total, n, value, value, width))
    return sorted(out)


def _dataset(obj: dict, default_kind: str, where: str) -> Series:
    get = lambda *keys: next((obj[k] for k in keys if k in obj), None)  # noqa: E731
    stat = obj.get("stat") if isinstance(obj.get("stat"), dict) else {}
    name = stat.get("name") or get("name", "Name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a dataset without a name{where}")
    kind = stat.get("kind") or ("counter" if get("Kind") == "count" else "value" if get("Kind") else None)
    kind = kind if kind in ("counter", "value") else default_kind
    points = get("points", "Points")
    if not isinstance(points, list):
        raise ValueError(f"dataset {name!r} has no list of points{where}")
    rows = []
    for i, p in enumerate(points):
        pw = f" (point {i + 1} of {name!r})"
        if not isinstance(p, dict):
            raise ValueError(f"a point must be an object{pw}")
        rows.append((_time(p.get("time", p.get("Time")), pw), _number(p.get("value", p.get("Value")), "value", pw),
                     _number(p.get("count", p.get("Rcount")), "count", pw)))
    width = _interval(obj.get("timeframe") or obj.get("Timeframe"))
    return Series(name.strip(), kind, _buckets(kind, rows, width))


def read_json(text: str, path, default_kind: str = "value") -> list[Series]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadFile(path, f"not JSON: {exc.msg}", exc.lineno) from None
    items = data if isinstance(data, list) else [data]
    out = []
    for i, obj in enumerate(items):
        if not isinstance(obj, dict):
            raise BadFile(path, f"dataset {i + 1} is not an object")
        try:
            out.append(_dataset(obj, default_kind, f" in dataset {i + 1}"))
        except ValueError as exc:
            raise BadFile(path, str(exc)) from None
    return out


def read_csv(text: str, path, name: str, default_kind: str = "value") -> list[Series]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise BadFile(path, "the file is empty", 1) from None
    except csv.Error as exc:
        raise BadFile(path, f"not CSV: {exc}", 1) from None
    col = {h: i for i, h in enumerate(header)}
    if "time" not in col or "value" not in col:
        raise BadFile(path, "the header must name a time and a value column", 1)
    name_col = col.get("name", col.get("stat"))
    kind_col = col.get("kind")
    rows: dict[str, list] = {}
    kinds: dict[str, str] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) < len(header):
                raise BadFile(path, f"expected {len(header)} columns, got {len(row)}", line)
            stat = row[name_col].strip() if name_col is not None else name
            if not stat:
                raise BadFile(path, "empty stat name", line)
            if kind_col is not None and row[kind_col].strip() in ("counter", "value"):
                kinds[stat] = row[kind_col].strip()
            try:
                count = _number(row[col["count"]], "count", "") if "count" in col else None
                rows.setdefault(stat, []).append((_time(row[col["time"]], ""), _number(row[col["value"]], "value", ""),
                                                  count))
            except ValueError as exc:
                raise BadFile(path, str(exc), line) from None
    except csv.Error as exc:
        raise BadFile(path, f"not CSV: {exc}", reader.line_num) from None
    return [Series(stat, kinds.get(stat, default_kind), _buckets(kinds.get(stat, default_kind), r, None))
            for stat, r in rows.items()]
