"""One stat's page: its graph over a timeframe, the previous period, summaries, downloads and settings."""

from __future__ import annotations

import math
import re

from app import keys, numbers
from app.errors import Conflict, EyrieError, Invalid, NotFound
from app.ingest_rules import check_name
from app.interactors import embeds, graphs
from app.interactors.stats import trash_stat
from app.series import summarize
from app.storage import stats as sq
from app.timeframes import Span, Timeframe

MAX_UNIT = 32
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The summary table: (key, label, timeframe, what counters' mean/min/max are "per"). Small row counts:
# 60 minute rows, 24 hour rows, 7 + ~31 day rows, 365 day rows.
SUMMARIES = (
    ("hour", "Last hour", Timeframe(Span(1, "h"), Span(1, "m")), "minute"),
    ("day", "Last day", Timeframe(Span(1, "d"), Span(1, "h")), "hour"),
    ("week", "Last week", Timeframe(Span(1, "w"), Span(1, "d")), "day"),
    ("month", "Last month", Timeframe(Span(1, "M"), Span(1, "d")), "day"),
    ("year", "Last year", Timeframe(Span(1, "y"), Span(1, "M")), "month"),
)
SUMMARY_FOR = {"1h": "hour", "1d": "day", "1w": "week", "1M": "month", "1y": "year"}


def parse_compare(raw: str | None) -> bool:
    """On unless turned off (`compare=0`, `off`, `false`, `no`)."""
    return (raw or "1").strip().lower() not in ("0", "off", "false", "no")


def card(stat: dict) -> dict:
    """A stat as the page shows it (and as its JSON answers)."""
    return {"id": stat["id"], "name": stat["name"], "kind": stat["kind"], "unit": stat["unit"] or "",
            "direction": stat.get("direction") or "neutral",
            "public": bool(stat["public"]), "classic_key": stat["classic_key"], "embed_key": stat["embed_key"],
            "created_at": stat["created_at"], "last_data_at": stat.get("last_data_at")}


def _live(tx, account_id: int, stat_id: int, *, with_last: bool = False) -> dict:
    stat = sq.stat_by_id(tx, account_id, stat_id, with_last=with_last)
    if stat is None or stat["deleted_at"] is not None:
        raise NotFound("no such stat")
    return stat


def _change(current, previous) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    # Each side divided first: 1.7e308 - -1.7e308 is no float. A change too large to be one is no change shown.
    c, p = float(current), float(previous)
    pct = (c / abs(p) - p / abs(p)) * 100
    return pct if math.isfinite(pct) else None


def graph_size(raw) -> tuple[int, int]:
    """The graph's (width, height) for the width the page shows it at (`w`, sent by the page's
    script); without one, the desktop size. Narrow graphs get relatively taller so they stay legible."""
    try:
        width = int(str(raw))
    except (TypeError, ValueError):
        return graphs.GRAPH_WIDTH, graphs.GRAPH_HEIGHT
    width = max(MIN_GRAPH_WIDTH, min(width, MAX_GRAPH_WIDTH))
    return width, max(200, min(graphs.GRAPH_HEIGHT, round(width * 0.6)))


MIN_GRAPH_WIDTH, MAX_GRAPH_WIDTH = 240, 1600


def stat_view(db, account_id: int, stat_id: int, code, compare: bool, now: int, tz: str, *,
              with_points: bool = True, with_summary: bool = True, start=None, end=None, width=None,
              with_marks: bool = True) -> dict:
    """Everything the stat page shows: the stat, the graph (SVG and, unless with_points is off, its
    points) with the times its alerts fired, and (unless with_summary is off: the table does not
    depend on the timeframe, so switching timeframes leaves it alone) the summaries."""
    from app.interactors.alerts import graph_marks

    rng = code if isinstance(code, graphs.Range) else graphs.parse_range(code, start, end)

    def tx_fn(tx):
        stat = _live(tx, account_id, stat_id, with_last=True)
        win = graphs.window(tx, stat, rng, now, tz)
        data = graphs.read_series(tx, stat, win, now, tz, compare)
        rows = []
        for key, label, tf, per in SUMMARIES if with_summary else ():
            bs = graphs.stat_buckets(tx, stat, tf, now, tz)
            s = summarize(bs, stat["kind"])
            rows.append({"period": key, "label": label, "per": per, "start": bs[0].time if bs else now, **s.as_dict()})
        return stat, win, data, rows

    stat, win, data, rows = db.read(tx_fn)
    size = graph_size(width)
    first = data["buckets"][0].time if data["buckets"] else now
    marks = graph_marks(db, account_id, stat, first, (win.end or now) + 1) if with_marks else []
    kind = stat["kind"]
    shown = summarize(data["buckets"], kind).as_dict()
    previous = summarize(data["previous"], kind).as_dict() if data["previous"] is not None else None
    headline = "total" if kind == "counter" else "mean"
    buckets = data["buckets"]
    # A change against a previous period that barely has data (a young stat) would only mislead.
    filled = sum(1 for b in buckets if b.n)
    fair = data["previous"] is not None and sum(1 for b in data["previous"] if b.n) * 2 >= filled > 0
    change = _change(shown[headline], previous[headline]) if previous and fair else None
    start = buckets[0].time if buckets else now
    summary_for = SUMMARY_FOR.get(win.code)
    return {
        "stat": card(stat),
        "timeframe": {"code": win.code, "label": win.label, "detail": _detail(win), "step": win.step,
                      "start": start, "end": min(win.end, now) if win.end else now, "args": win.args,
                      "custom": win.code not in graphs.LABELS, "partial": data["partial"]},
        "timeframes": [{"code": c, "label": graphs.LABELS[c]} for c in graphs.CODES],
        "compare": data["previous"] is not None,
        "previous_empty": data["previous"] is not None and not any(b.n for b in data["previous"]),
        "compare_requested": compare,
        "comparable": win.comparable,
        "previous_label": graphs.previous_label(win),
        "points": graphs.points(stat, buckets, tz) if with_points else None,
        "previous": graphs.points(stat, data["previous"], tz) if with_points and data["previous"] is not None
        else None,
        "shown": {"headline": headline, "value": shown[headline], "count": shown["count"],
                  "previous": previous[headline] if previous else None,
                  "change": change, "tone": numbers.tone(change, stat.get("direction"))},
        "summary": rows,
        "summary_for": summary_for,
        "summary_note": _summary_note(rows, summary_for, headline, shown[headline], start, stat.get("unit") or ""),
        "marks": [{"time": t, "kind": k, "label": label} for t, k, label in marks],
        "svg": graphs.render(stat, win, data, tz, marks=marks, width=size[0], height=size[1]),
        "graph_width": size[0],
    }


def _summary_note(rows: list[dict], period: str | None, headline: str, value, start: int, unit: str) -> dict | None:
    """When the headline and the summary row of the same name read differently, why: the graph's window
    starts at its first bucket (a week ago, to the hour), the row's at a whole day or month."""
    row = next((r for r in rows if r["period"] == period), None)
    if row is None or numbers.fmt(row[headline], unit) == numbers.fmt(value, unit):
        return None
    return {"label": row["label"], "graph_start": start, "row_start": row["start"], "per": row["per"]}


def _detail(win) -> str:
    """'1 week @ 1 hour'; for all: 'all data @ 2 days'; for a custom range: 'custom range @ 10 minutes'."""
    if win.code == "all":
        return f"all data @ {win.tf.interval.label()}"
    if win.code == "custom":
        return f"custom range @ {win.tf.interval.label()}"
    return win.tf.label


def stat_download(db, account_id: int, stat_id: int, code: str | None, now: int, tz: str, *, start=None,
                  end=None) -> dict:
    """The shown series (no comparison), bucketed as on the graph: the same range arguments give the
    same buckets."""
    rng = graphs.parse_range(code, start, end)

    def tx_fn(tx):
        stat = _live(tx, account_id, stat_id)
        win = graphs.window(tx, stat, rng, now, tz)
        return stat, win, graphs.read_series(tx, stat, win, now, tz)

    stat, win, data = db.read(tx_fn)
    return {"stat": {"id": stat["id"], "name": stat["name"], "kind": stat["kind"], "unit": stat["unit"] or ""},
            "timeframe": {"code": win.code, "label": win.label, "detail": _detail(win), "timezone": tz},
            "filename": f"{slug(stat['name'], stat['id'])}-{win.code if win.code != 'custom' else win.start}",
            "points": graphs.points(stat, data["buckets"], tz)}


def slug(name: str, stat_id: int) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")
    return s or f"stat-{stat_id}"


# -- settings: each answers the stat as it now is, and the error if the change was refused -----------


def _settle(db, account_id: int, stat_id: int, fn, value) -> dict:
    try:
        stat = db.run(lambda tx: fn(tx, _live(tx, account_id, stat_id)))
        return {"stat": card(stat), "error": None, "status": 200, "saved": True, "value": value}
    except NotFound:
        raise
    except EyrieError as exc:
        error = exc
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise
        error = Conflict(f"a stat named {value!r} already exists")   # lost a race with another rename
    stat = db.read(lambda tx: _live(tx, account_id, stat_id))
    return {"stat": card(stat), "error": error.msg, "status": error.status, "saved": False, "value": value}


def rename_stat(db, account_id: int, stat_id: int, name) -> dict:
    raw = name if isinstance(name, str) else ""

    def fn(tx, stat):
        new = check_name(raw)
        if new != stat["name"]:
            other = sq.stat_by_name(tx, account_id, new)
            if other is not None:
                where = " (in the trash)" if other["deleted_at"] is not None else ""
                raise Conflict(f"a stat named {new!r} already exists{where}")
            sq.update_stat(tx, account_id, stat["id"], name=new)
        return _live(tx, account_id, stat["id"])

    return _settle(db, account_id, stat_id, fn, raw)


def set_unit(db, account_id: int, stat_id: int, unit) -> dict:
    raw = unit if isinstance(unit, str) else ""

    def fn(tx, stat):
        new = raw.strip()
        if len(new) > MAX_UNIT:
            raise Invalid(f"the unit is longer than {MAX_UNIT} characters")
        if _CONTROL.search(new):
            raise Invalid("the unit contains control characters")
        sq.update_stat(tx, account_id, stat["id"], unit=new)
        return _live(tx, account_id, stat["id"])

    return _settle(db, account_id, stat_id, fn, raw)


def set_direction(db, account_id: int, stat_id: int, direction) -> dict:
    """Which way is good for the stat (up, down, neutral): it colours its changes."""
    raw = direction if isinstance(direction, str) else ""

    def fn(tx, stat):
        new = raw.strip().lower()
        if new not in numbers.DIRECTIONS:
            raise Invalid(f"direction must be one of {', '.join(numbers.DIRECTIONS)}")
        sq.update_stat(tx, account_id, stat["id"], direction=new)
        return _live(tx, account_id, stat["id"])

    return _settle(db, account_id, stat_id, fn, raw)


def set_public(db, account_id: int, stat_id: int, public: bool) -> dict:
    def fn(tx, stat):
        sq.update_stat(tx, account_id, stat["id"], public=1 if public else 0)
        return _live(tx, account_id, stat["id"])

    return _settle(db, account_id, stat_id, fn, public)


def embed_options(stat: dict, args, base_url: str) -> dict:
    """The embed builder's preview and code for a stat (a card) and the chosen options."""
    return embeds.builder(stat, args, base_url)


def embed_builder(db, account_id: int, stat_id: int, args, base_url: str) -> dict:
    """The embed builder for the chosen options (size, timeframe, style, theme, title)."""
    stat = card(db.read(lambda tx: _live(tx, account_id, stat_id)))
    return {"stat": stat, "embed": embed_options(stat, args, base_url)}


def rotate_embed_key(db, account_id: int, stat_id: int, base_url: str) -> dict:
    """A new embed key for the stat: the old one stops working at once (its embeds and public page 404)."""
    def fn(tx, stat):
        sq.update_stat(tx, account_id, stat["id"], embed_key=keys.embed_key())
        return _live(tx, account_id, stat["id"])

    result = _settle(db, account_id, stat_id, fn, None)
    return {**result, "embed": embed_options(result["stat"], {}, base_url)}


def delete_stat(db, account_id: int, stat_id: int, now: int) -> dict:
    """Move the stat to the trash (restorable for 48 hours)."""
    stat = db.read(lambda tx: _live(tx, account_id, stat_id))
    trash_stat(db, account_id, stat_id, now)
    return {"id": stat["id"], "name": stat["name"]}
