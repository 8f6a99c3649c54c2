"""Graphite whisper files -> Series, every archive: each stretch of time comes from the finest
archive that holds it; a coarser archive fills only what lies before (so rollups stay exact).
Counters are files aggregated by `sum`; any other aggregation is a value stat."""

from __future__ import annotations

import math
import struct
from pathlib import Path

from app.importers import BadFile, Series

POINT = struct.Struct("!Ld")


def stat_name(path: Path, root: Path | None) -> str:
    """The path below the folder given, '/' read as '.', without '.wsp'; a single file: its stem."""
    if root is None:
        return path.stem
    rel = path.relative_to(root).with_suffix("")
    return ".".join(rel.parts)


def read(path: Path, root: Path | None = None) -> Series:
    import whisper

    try:
        info = whisper.info(str(path))
        raw = path.read_bytes()
    except Exception as exc:  # the whisper library raises anything from struct.error to KeyError
        raise BadFile(path, f"not a readable whisper file ({exc})") from None
    if not info or not info.get("archives"):
        raise BadFile(path, "not a whisper file (no archives)")
    kind = "counter" if info["aggregationMethod"] == "sum" else "value"
    series = Series(stat_name(path, root), kind)
    covered_from = None  # the earliest time a finer archive already holds
    for archive in sorted(info["archives"], key=lambda a: a["secondsPerPoint"]):
        step = archive["secondsPerPoint"]
        points = []
        for i in range(archive["points"]):
            offset = archive["offset"] + i * POINT.size
            if offset + POINT.size > len(raw):
                raise BadFile(path, "the file is cut short")
            ts, value = POINT.unpack_from(raw, offset)
            if ts and not math.isnan(value) and not math.isinf(value):
                points.append((ts, value))
        if not points:
            continue
        latest = max(ts for ts, _ in points)
        # A circular archive keeps stale slots from earlier laps: only the last lap is data.
        points = sorted(p for p in points if p[0] > latest - archive["retention"])
        if covered_from is not None:
            points = [p for p in points if p[0] + step <= covered_from]
        for ts, value in points:
            series.buckets.append((ts, value, 1, value, value, step))
        if points:
            covered_from = points[0][0] if covered_from is None else min(covered_from, points[0][0])
    series.buckets.sort()
    return series
