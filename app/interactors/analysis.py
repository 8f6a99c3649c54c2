"""Overlay analysis: up to five of an account's stats on one graph, and named analyses saved to come back to.

The stat order matters: the first stat's unit owns the left axis; stats with another unit go on the right one.
"""

from __future__ import annotations

from dataclasses import replace

from app import graphs, numbers
from app.errors import Invalid, NotFound
from app.ids import parse_id_list
from app.interactors import graphs as windows
from app.interactors.graphs import overlay_series
from app.storage import analyses as aq
from app.storage import stats as sq

MAX_STATS = 5
MAX_IDS = 50            # more ids than this in one request is not a selection, it is noise
PICKER_LIMIT = 100
NAME_MAX = 100
# The stat page's timeframes: UI code -> (duration@interval, label).
TIMEFRAMES = {
    "1h": ("1h1m", "1 hour"),
    "1d": ("1d5m", "1 day"),
    "1w": ("1w1h", "1 week"),
    "1M": ("1M4h", "1 month"),
    "3M": ("3M12h", "3 months"),
    "1y": ("1y2d", "1 year"),
    "all": ("", "All"),
}
DEFAULT_TF = "1d"
# How the stats share the graph: "units" (the first stat's unit on the left axis, other units on the
# right one), or "normalised" (each stat drawn over its own range, 0% = its min, 100% = its max), for
# stats of very different sizes in the same unit (or none).
SCALES = {"units": "Axes by unit", "normalised": "Each stat on its own scale"}
# About the width it is shown at (the panel beside the picker), so axis labels stay readable.
GRAPH_WIDTH, GRAPH_HEIGHT = 820, 320


def parse_ids(raw: list[str]) -> list[int]:
    """Stat ids from the query string or a form, in order, without repeats. Garbage is an error."""
    ids = parse_id_list(raw, what="stat", field="s", most=MAX_IDS)
    if len(ids) > MAX_IDS:  # pragma: no cover - parse_id_list refuses first
        raise Invalid(f"pick at most {MAX_STATS} stats", field="s")
    return ids


def _check_tf(tf: str | None) -> str:
    if tf not in TIMEFRAMES:
        raise Invalid(f"unknown timeframe {str(tf)[:10]!r}: use one of {', '.join(TIMEFRAMES)}", field="tf")
    return tf


def _stat(r: dict) -> dict:
    return {"id": r["id"], "name": r["name"], "kind": r["kind"], "unit": r["unit"] or ""}


def _own_live(tx, account_id: int, ids: list[int]) -> list[dict]:
    """The account's live stats among ids, in the order given; anything else is left out."""
    out = []
    for stat_id in ids:
        row = sq.stat_by_id(tx, account_id, stat_id)
        if row is not None and row["deleted_at"] is None:
            out.append(row)
    return out


def _picker(tx, account_id: int, chosen: list[dict], query: str) -> tuple[list[dict], bool]:
    """Chosen stats first (so a search never unticks them), then the account's stats matching the query."""
    rows = sq.list_stats(tx, account_id, query=query, limit=PICKER_LIMIT + 1)
    more = len(rows) > PICKER_LIMIT
    seen = {s["id"] for s in chosen}
    listed = [{**_stat(s), "checked": True} for s in chosen]
    listed += [{**_stat(r), "checked": False} for r in rows[:PICKER_LIMIT] if r["id"] not in seen]
    return listed, more


def normalise(line: graphs.Series) -> graphs.Series:
    """The series over its own range (min 0%, max 100%); its hover text keeps the real values."""
    vals = [v for _, v in line.points if v is not None]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    span = (hi - lo) or 1.0
    pts = [(t, None if v is None else (v - lo) / span * 100) for t, v in line.points]
    return replace(line, points=pts, unit="%", secondary=False, kind="value",
                   texts=[None if v is None else numbers.fmt(v, line.unit) for _, v in line.points])


def _graph(stats: list[dict], data: dict[int, dict], step: int, tz: str, scale: str) -> tuple[str, list[dict]]:
    series = overlay_series(stats, lambda s: data[s["id"]])
    out = [{**_stat(s), "axis": "right" if line.secondary else "left", "points": [list(p) for p in line.points]}
           for s, line in zip(stats, series)]
    if scale == "normalised":
        series = [normalise(line) for line in series]
    # theme "auto": light colours plus a prefers-color-scheme block with the dark ones, like the page.
    svg = graphs.render_graph(series, width=GRAPH_WIDTH, height=GRAPH_HEIGHT, theme="auto", tz=tz,
                              step=step, css_class="analysis-svg") if stats else ""
    return svg, out


def _view(tx, account: dict, ids: list[int], rng, now: int, query: str, error: str | None) -> dict:
    account_id = account["id"]
    chosen = _own_live(tx, account_id, ids)
    dropped = len(ids) - len(chosen)
    if len(ids) > MAX_STATS and error is None:
        error = (f"Pick at most {MAX_STATS} stats to overlay: {len(ids)} are ticked. "
                 "Untick some to see the graph.")
    picker, more = _picker(tx, account_id, chosen, query)
    data, win = {}, None
    if error is None:
        tz = account["timezone"] or "UTC"
        # The stat page's windows: the same tf (or start/end) means the same buckets here.
        win = windows.window(tx, chosen or None, rng, now, tz) if chosen or rng.code != "all" else None
        data = {s["id"]: windows.read_series(tx, s, win, now, tz) for s in chosen} if win else {}
    return {
        "chosen": chosen, "data": data, "win": win, "dropped": dropped, "error": error, "picker": picker, "more": more,
        "saved": [{"id": a["id"], "name": a["name"], "timeframe": a["timeframe"], "count": len(a["stat_ids"])}
                  for a in aq.list_analyses(tx, account_id)],
    }


def _finish(raw: dict, account: dict, rng, query: str, analysis: dict | None, scale: str = "units") -> dict:
    ok = raw["error"] is None and raw["win"] is not None
    win = raw["win"]
    svg, data = _graph(raw["chosen"], raw["data"], win.step, account["timezone"], scale) if ok else ("", [])
    units = [d["unit"] for d in data]
    tf = rng.code if rng.code in TIMEFRAMES else None
    if win is None:
        tf_label = TIMEFRAMES[tf][1] if tf else ""
    elif win.code == "all":
        tf_label = f"all data @ {win.tf.interval.label()}"
    elif win.code == "custom":
        tf_label = f"{win.label} @ {win.tf.interval.label()}"
    else:
        tf_label = win.tf.label
    view = {
        "tf": tf, "range": rng, "custom": rng.code == "custom", "scale": scale,
        "scales": list(SCALES.items()),
        "tf_label": tf_label,
        "timeframes": [{"code": c, "label": lb} for c, (_, lb) in TIMEFRAMES.items()],
        "selected": [{**_stat(s), "axis": d["axis"]} for s, d in zip(raw["chosen"], data)] if ok
        else [_stat(s) for s in raw["chosen"]],
        "selected_ids": [s["id"] for s in raw["chosen"]],
        "left_unit": (units[0] if units else "") or "no unit",
        "right_units": [] if scale == "normalised" else sorted({d["unit"] or "no unit" for d in data
                                                                if d["axis"] == "right"}),
        "picker": raw["picker"], "more": raw["more"], "query": query,
        "saved": raw["saved"], "analysis": analysis, "error": raw["error"],
        "dropped": raw["dropped"], "svg": svg, "max_stats": MAX_STATS,
    }
    view["data"] = {"timeframe": tf or rng.code, "scale": scale, "analysis": analysis, "error": raw["error"],
                    "series": data, "saved": raw["saved"]}
    return view


def overlay_view(db, account: dict, raw_ids: list[str], tf: str | None, now: int, *, query: str = "",
                 start=None, end=None, scale: str | None = None) -> dict:
    """The /analyze page: the picker, the overlay graph of the chosen stats, the saved analyses.
    tf: a UI code, or (as on the stat page) 2d1h, or start/end (a zoom); scale: see SCALES.

    Problems with the selection (too many stats, a bad id) come back as view["error"], so the page
    can still show the picker to fix them."""
    query = (query or "").strip()[:100]
    error, ids = None, []
    rng = windows.Range(tf if tf in TIMEFRAMES else DEFAULT_TF)
    scale = scale if scale in SCALES else "units"
    try:
        ids = parse_ids(raw_ids)
        rng = windows.parse_range(tf, start, end, codes=tuple(TIMEFRAMES), default=DEFAULT_TF)
    except Invalid as exc:
        error = exc.msg[0].upper() + exc.msg[1:] + "."
    raw = db.read(lambda tx: _view(tx, account, ids, rng, now, query, error))
    return _finish(raw, account, rng, query, None, scale)


def saved_view(db, account: dict, analysis_id: int, now: int) -> dict:
    """A saved analysis, with the stats deleted since (or never this account's) left out."""
    def tx_fn(tx):
        a = aq.analysis_by_id(tx, account["id"], analysis_id)
        if a is None:
            raise NotFound("no such analysis")
        rng = windows.Range(a["timeframe"] if a["timeframe"] in TIMEFRAMES else DEFAULT_TF)
        return a, rng, _view(tx, account, a["stat_ids"][:MAX_STATS], rng, now, "", None)

    a, rng, raw = db.read(tx_fn)
    return _finish(raw, account, rng, "", {"id": a["id"], "name": a["name"], "created_at": a["created_at"]})


def picker_view(db, account_id: int, raw_ids: list[str], query: str) -> dict:
    """Only the stat list of the picker, filtered by a search (the ticked stats stay in it)."""
    query = (query or "").strip()[:100]
    try:
        ids = parse_ids(raw_ids)
    except Invalid:
        ids = []

    def tx_fn(tx):
        return _picker(tx, account_id, _own_live(tx, account_id, ids[:MAX_IDS]), query)

    picker, more = db.read(tx_fn)
    return {"picker": picker, "more": more, "query": query, "max_stats": MAX_STATS}


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("give the analysis a name", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"a name has at most {NAME_MAX} characters", field="name")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Invalid("a name cannot hold control characters", field="name")
    return name


def save_analysis(db, account_id: int, name: str, raw_ids: list[str], tf: str | None, now: int) -> int:
    """Store a named analysis; every stat must be one of the account's live stats, or nothing is stored."""
    name = check_name(name)
    ids = parse_ids(raw_ids)
    if not ids:
        raise Invalid("pick at least one stat to save", field="s")
    if len(ids) > MAX_STATS:
        raise Invalid(f"pick at most {MAX_STATS} stats to overlay", field="s")
    tf = _check_tf(tf)

    def tx_fn(tx):
        if len(_own_live(tx, account_id, ids)) != len(ids):
            raise NotFound("no such stat: one of the stats is not yours or was deleted")
        return aq.insert_analysis(tx, account_id, name, ids, tf, now)

    return db.run(tx_fn)


def delete_analysis(db, account_id: int, analysis_id: int) -> None:
    if db.run(lambda tx: aq.delete_analysis(tx, account_id, analysis_id)) == 0:
        raise NotFound("no such analysis")


def saved_list(db, account_id: int) -> dict:
    rows = db.read(lambda tx: aq.list_analyses(tx, account_id))
    return {"saved": [{"id": a["id"], "name": a["name"], "timeframe": a["timeframe"], "count": len(a["stat_ids"])}
                      for a in rows]}
