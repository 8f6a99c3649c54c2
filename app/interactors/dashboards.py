"""Dashboards: named grids of tiles that redraw themselves, shared read-only through an unguessable link.

A tile shows one stat, or an overlay of up to five (the analysis page's rule: the first stat's unit owns
the left axis, stats in another unit go on the right one), over one of the stat page's timeframes, at a
size (a column span of 1 to 3). Graphs come from app.interactors.graphs, like the stat page's.

Every use case takes the caller's account (or a share token) and reaches tiles only through a
dashboard that account owns (or that token names): another account's dashboard, tile or stat is a
NotFound, and nothing is stored. Ownership is checked before the input, so another account's dashboard
is a 404 whatever was sent.
"""

from __future__ import annotations

import re
import secrets

from app import numbers
from app.errors import Invalid, NotFound
from app.graphs import render_graph
from app.ids import parse_id_list
from app.interactors import analysis, graphs
from app.params import is_int
from app.series import summarize
from app.storage import dashboards as dq

TIMEFRAMES = tuple(graphs.FIXED)                       # 1h 1d 1w 1M 3M 1y ("all" reads too much for a tile)
DEFAULT_TF = "1d"
SIZES = {1: "small", 2: "medium", 3: "large"}        # column spans of a three-column grid
DEFAULT_SIZE = 1
MAX_STATS = analysis.MAX_STATS
MAX_TILES = 24
MAX_DASHBOARDS = 100
NAME_MAX = 100
REFRESH_DEFAULT, REFRESH_MIN, REFRESH_MAX = 30, 10, 600
REFRESH_CHOICES = (10, 15, 30, 60, 120, 300, 600)
THEMES = ("auto", "light", "dark")
# Graph sizes in SVG units (the graph scales to its tile; these keep the text about 11 px on a 1200 px page).
GRAPH_WIDTHS = {1: 400, 2: 820, 3: 1240}
GRAPH_HEIGHTS = {1: 190, 2: 190, 3: 220}
# TV mode: flatter graphs, so a 1080p screen holds three rows of tiles (and their text is larger).
TV_GRAPH_HEIGHTS = {1: 145, 2: 145, 3: 135}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def share_token() -> str:
    return secrets.token_urlsafe(24)   # 192 bits, 32 characters


# -- parsing ----------------------------------------------------------------------------------------


def check_name(raw, what: str = "dashboard") -> str:
    name = (raw if isinstance(raw, str) else "").strip()
    if not name:
        raise Invalid(f"give the {what} a name", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"a name has at most {NAME_MAX} characters", field="name")
    if _CONTROL.search(name):
        raise Invalid("a name cannot hold control characters", field="name")
    return name


def check_title(raw) -> str:
    title = (raw if isinstance(raw, str) else "").strip()
    return check_name(title, "tile") if title else ""


def check_timeframe(raw) -> str:
    tf = (raw if isinstance(raw, str) else "").strip() or DEFAULT_TF
    if tf not in TIMEFRAMES:
        raise Invalid(f"unknown timeframe {tf[:10]!r}: use one of {', '.join(TIMEFRAMES)}", field="tf")
    return tf


def check_size(raw) -> int:
    text = str(raw if raw is not None else DEFAULT_SIZE).strip()
    named = {v: k for k, v in SIZES.items()}
    if text in named:
        return named[text]
    if not is_int(text, min(SIZES), max(SIZES)):
        raise Invalid("a tile's size is 1 (small), 2 (medium) or 3 (large)", field="size")
    return int(text)


def check_refresh(raw, minimum: int = REFRESH_MIN) -> int:
    """Seconds between redraws. minimum: tests may allow a shorter interval than people get."""
    text = str(raw if raw is not None else "").strip()
    if not is_int(text, minimum, REFRESH_MAX):
        raise Invalid(f"refresh every {minimum} to {REFRESH_MAX} seconds", field="refresh")
    return int(text)


def check_theme(raw) -> str:
    return raw if raw in THEMES else "auto"


def _step(raw) -> int:
    if str(raw).strip() not in ("-1", "1"):
        raise Invalid("move by -1 or 1", field="by")
    return int(str(raw).strip())


def _tile_ids(raw: list[str]) -> list[int]:
    return parse_id_list(raw, what="tile", field="tile", most=MAX_TILES, repeats_ok=False)


# -- reading ------------------------------------------------------------------------------------------


def _own(tx, account_id: int, dashboard_id: int) -> dict:
    d = dq.dashboard_by_id(tx, account_id, dashboard_id)
    if d is None:
        raise NotFound("no such dashboard")
    return d


def _shared(tx, token) -> dict:
    # Tokens are URL-safe base64; anything else cannot be one (and never reaches the database).
    if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        raise NotFound("no such dashboard")
    d = dq.dashboard_by_token(tx, token)
    if d is None:
        raise NotFound("no such dashboard")
    return d


def _tile(tx, dashboard_id: int, tile_id: int) -> dict:
    t = dq.tile_by_id(tx, dashboard_id, tile_id)
    if t is None:
        raise NotFound("no such tile")
    return t


def _meta(d: dict, tz: str) -> dict:
    return {"id": d["id"], "name": d["name"], "refresh": int(d["refresh_seconds"]), "token": d["share_token"],
            "shared": d["share_token"] is not None, "timezone": tz, "created_at": d["created_at"]}


def _read_tile(tx, account_id: int, tile: dict, now: int, tz: str) -> dict:
    """The tile's stats (the owner's live ones only) and their buckets over the tile's timeframe."""
    stats = dq.live_stats(tx, account_id, tile["stat_ids"])
    chosen = [stats[i] for i in tile["stat_ids"] if i in stats][:MAX_STATS]
    tf = tile["timeframe"] if tile["timeframe"] in TIMEFRAMES else DEFAULT_TF
    win = graphs.window(tx, None, tf, now)   # fixed timeframes do not depend on the stat
    # A one-stat tile leads with its figure and the change against the previous period.
    data = {s["id"]: graphs.read_series(tx, s, win, now, tz, compare=len(chosen) == 1) for s in chosen}
    return {"tile": tile, "stats": chosen, "win": win, "data": data,
            "missing": len(tile["stat_ids"]) - len(chosen)}


def _figure(stat: dict, data: dict) -> dict:
    """The number a tile leads with: a counter's total over the timeframe, a value stat's latest value;
    and the change of its total or mean against the previous period, coloured by the stat's direction."""
    buckets = data["buckets"]
    s = summarize(buckets, stat["kind"])
    change = None
    if data.get("previous") and any(b.n for b in data["previous"]):
        key = "total" if stat["kind"] == "counter" else "mean"
        now_v, before = getattr(s, key), getattr(summarize(data["previous"], stat["kind"]), key)
        change = None if now_v is None or not before else (float(now_v) - float(before)) / abs(float(before)) * 100
    out = {"change": change, "tone": numbers.tone(change, stat.get("direction"))}
    if stat["kind"] == "counter":
        return {**out, "value": s.total, "label": "total", "detail": None, "detail_label": ""}
    return {**out, "value": s.last, "label": "latest", "detail": s.mean, "detail_label": "mean"}


def _render(raw: dict, tz: str, theme: str, tv: bool = False) -> dict:
    tile, stats, win, data = raw["tile"], raw["stats"], raw["win"], raw["data"]
    size = int(tile["size"]) if int(tile["size"]) in SIZES else DEFAULT_SIZE
    width = GRAPH_WIDTHS[size]
    series = graphs.overlay_series(stats, lambda s: data[s["id"]]["buckets"])
    height = (TV_GRAPH_HEIGHTS if tv else GRAPH_HEIGHTS)[size]
    svg = render_graph(series, width=width, height=height, theme=theme, tz=tz, step=win.step,
                       css_class="tile-svg") if stats else ""
    shown = [{"id": s["id"], "name": s["name"], "kind": s["kind"], "unit": s["unit"] or "",
              "axis": "right" if line.secondary else "left",
              **_figure(s, data[s["id"]])} for s, line in zip(stats, series)]
    title = tile["title"] or (stats[0]["name"] if len(stats) == 1 else " · ".join(s["name"] for s in stats))
    return {"id": tile["id"], "position": tile["position"], "size": size, "size_label": SIZES[size],
            "timeframe": win.code, "tf_label": win.label, "tf_detail": win.tf.label,
            "title": title or "No stats left", "overlay": len(stats) > 1, "stats": shown, "missing": raw["missing"],
            "svg": svg}


def _tiles(tx, account_id: int, dashboard_id: int, now: int, tz: str) -> list[dict]:
    return [_read_tile(tx, account_id, t, now, tz) for t in dq.tiles(tx, dashboard_id)]


def _board(d: dict, raws: list[dict], tz: str, theme: str, now: int, tv: bool = False) -> dict:
    tiles = [_render(r, tz, theme, tv) for r in raws]
    return {"dashboard": _meta(d, tz), "tiles": tiles, "theme": theme, "now": now,
            "can_add": len(tiles) < MAX_TILES,
            "data": {"dashboard": {k: v for k, v in _meta(d, tz).items() if k != "token"},
                     "tiles": [{k: v for k, v in t.items() if k != "svg"} for t in tiles]}}


def _form_choices() -> dict:
    return {"timeframes": [{"code": c, "label": graphs.LABELS[c]} for c in TIMEFRAMES],
            "sizes": [{"value": k, "label": v} for k, v in SIZES.items()],
            "refresh_choices": list(REFRESH_CHOICES), "max_stats": MAX_STATS, "max_tiles": MAX_TILES}


def list_dashboards(db, account_id: int) -> dict:
    rows = db.read(lambda tx: dq.list_dashboards(tx, account_id))
    return {"dashboards": [{"id": r["id"], "name": r["name"], "tiles": int(r["tiles"]), "refresh": r["refresh_seconds"],
                            "shared": r["share_token"] is not None} for r in rows],
            "max_dashboards": MAX_DASHBOARDS}


def dashboard_view(db, account: dict, dashboard_id: int, now: int, *, theme: str = "auto", tv: bool = False) -> dict:
    """The owner's dashboard: its tiles drawn, plus what the add-tile form and the settings need."""
    tz = account["timezone"]

    def tx_fn(tx):
        d = _own(tx, account["id"], dashboard_id)
        return d, _tiles(tx, account["id"], d["id"], now, tz)

    d, raws = db.read(tx_fn)
    view = _board(d, raws, tz, check_theme(theme), now, tv)
    view.update(_form_choices())
    view["picker"] = analysis.picker_view(db, account["id"], [], "")
    return view


def shared_view(db, token, now: int, *, theme: str = "auto", tv: bool = False) -> dict:
    """A dashboard by its share token: read-only, no session."""
    def tx_fn(tx):
        d = _shared(tx, token)
        return d, _tiles(tx, d["account_id"], d["id"], now, d["timezone"])

    d, raws = db.read(tx_fn)
    return _board(d, raws, d["timezone"], check_theme(theme), now, tv)


def tile_view(db, account: dict, dashboard_id: int, tile_id: int, now: int, *, theme: str = "auto",
              tv: bool = False) -> dict:
    """One tile, redrawn (what its polling asks for)."""
    tz = account["timezone"]

    def tx_fn(tx):
        d = _own(tx, account["id"], dashboard_id)
        return d, _read_tile(tx, account["id"], _tile(tx, d["id"], tile_id), now, tz)

    d, raw = db.read(tx_fn)
    return {"dashboard": _meta(d, tz), "tile": _render(raw, tz, check_theme(theme), tv), "theme": check_theme(theme),
            "now": now}


def shared_tile_view(db, token, tile_id: int, now: int, *, theme: str = "auto", tv: bool = False) -> dict:
    """One tile of a shared dashboard: only a tile on the dashboard that the token names."""
    def tx_fn(tx):
        d = _shared(tx, token)
        return d, _read_tile(tx, d["account_id"], _tile(tx, d["id"], tile_id), now, d["timezone"])

    d, raw = db.read(tx_fn)
    tz = d["timezone"]
    return {"dashboard": _meta(d, tz), "tile": _render(raw, tz, check_theme(theme), tv), "theme": check_theme(theme),
            "now": now}


# -- dashboards ---------------------------------------------------------------------------------------


def create_dashboard(db, account_id: int, name, now: int) -> int:
    name = check_name(name)

    def tx_fn(tx):
        if dq.count_dashboards(tx, account_id) >= MAX_DASHBOARDS:
            raise Invalid(f"an account has at most {MAX_DASHBOARDS} dashboards")
        return dq.insert_dashboard(tx, account_id, name, REFRESH_DEFAULT, now)

    return db.run(tx_fn)


def _settings(db, account: dict, dashboard_id: int, fn) -> dict:
    """Apply fn(tx, dashboard) to an owned dashboard; answer the dashboard as it now is."""
    def tx_fn(tx):
        d = _own(tx, account["id"], dashboard_id)
        fn(tx, d)
        return _own(tx, account["id"], dashboard_id)

    view = {"dashboard": _meta(db.run(tx_fn), account["timezone"])}
    view.update(_form_choices())
    return view


def rename_dashboard(db, account: dict, dashboard_id: int, name) -> dict:
    return _settings(db, account, dashboard_id, lambda tx, d: dq.update_dashboard(tx, d["account_id"], d["id"],
                                                                                  name=check_name(name)))


def set_refresh(db, account: dict, dashboard_id: int, raw, now: int, *, minimum: int = REFRESH_MIN,
                theme: str = "auto") -> dict:
    """Change how often the tiles redraw; answers the whole board (every tile's polling changes)."""
    def tx_fn(tx):
        d = _own(tx, account["id"], dashboard_id)
        dq.update_dashboard(tx, account["id"], d["id"], refresh_seconds=check_refresh(raw, minimum))

    db.run(tx_fn)
    return dashboard_view(db, account, dashboard_id, now, theme=theme)


def share_dashboard(db, account: dict, dashboard_id: int) -> dict:
    """Create the share link, or replace it (the old link stops working at once)."""
    return _settings(db, account, dashboard_id, lambda tx, d: dq.update_dashboard(tx, d["account_id"], d["id"],
                                                                                  share_token=share_token()))


def unshare_dashboard(db, account: dict, dashboard_id: int) -> dict:
    return _settings(db, account, dashboard_id, lambda tx, d: dq.update_dashboard(tx, d["account_id"], d["id"],
                                                                                  share_token=None))


def delete_dashboard(db, account_id: int, dashboard_id: int) -> dict:
    def tx_fn(tx):
        d = _own(tx, account_id, dashboard_id)
        dq.delete_dashboard(tx, account_id, dashboard_id)
        return d

    d = db.run(tx_fn)
    return {"id": d["id"], "name": d["name"]}


# -- tiles --------------------------------------------------------------------------------------------


def _grid_after(db, account: dict, dashboard_id: int, now: int, theme: str, fn) -> dict:
    """Run fn(tx, dashboard) in one transaction, then answer the whole grid as it now is."""
    def tx_fn(tx):
        d = _own(tx, account["id"], dashboard_id)
        fn(tx, d)

    db.run(tx_fn)
    tz = account["timezone"]

    def read(tx):
        d = _own(tx, account["id"], dashboard_id)
        return d, _tiles(tx, account["id"], d["id"], now, tz)

    d, raws = db.read(read)
    return _board(d, raws, tz, check_theme(theme), now)


def add_tile(db, account: dict, dashboard_id: int, raw_ids: list[str], tf, size, title, now: int, *,
             theme: str = "auto") -> dict:
    """One stat, or several for an overlay; every stat must be one of the account's live stats, or
    nothing is stored (NotFound)."""
    def fn(tx, d):
        ids = analysis.parse_ids(raw_ids)
        if not ids:
            raise Invalid("pick a stat for the tile (or several for an overlay)", field="s")
        if len(ids) > MAX_STATS:
            raise Invalid(f"a tile overlays at most {MAX_STATS} stats", field="s")
        if len(dq.live_stats(tx, account["id"], ids)) != len(ids):
            raise NotFound("no such stat: one of the stats is not yours or was deleted")
        if dq.count_tiles(tx, d["id"]) >= MAX_TILES:
            raise Invalid(f"a dashboard has at most {MAX_TILES} tiles")
        dq.insert_tile(tx, d["id"], check_size(size), check_timeframe(tf), check_title(title), ids, now)

    return _grid_after(db, account, dashboard_id, now, theme, fn)


def remove_tile(db, account: dict, dashboard_id: int, tile_id: int, now: int, *, theme: str = "auto") -> dict:
    def fn(tx, d):
        order = [t["id"] for t in dq.tiles(tx, d["id"])]
        if tile_id not in order:
            raise NotFound("no such tile")
        dq.delete_tile(tx, d["id"], tile_id)
        order.remove(tile_id)
        dq.set_positions(tx, d["id"], order)

    return _grid_after(db, account, dashboard_id, now, theme, fn)


def move_tile(db, account: dict, dashboard_id: int, tile_id: int, by, now: int, *, theme: str = "auto") -> dict:
    """One place earlier (-1) or later (1); at either end it stays where it is."""
    def fn(tx, d):
        order = [t["id"] for t in dq.tiles(tx, d["id"])]
        if tile_id not in order:
            raise NotFound("no such tile")
        step = _step(by)
        i = order.index(tile_id)
        j = min(max(i + step, 0), len(order) - 1)
        order[i], order[j] = order[j], order[i]
        dq.set_positions(tx, d["id"], order)

    return _grid_after(db, account, dashboard_id, now, theme, fn)


def reorder_tiles(db, account: dict, dashboard_id: int, raw_ids: list[str], now: int, *,
                  theme: str = "auto") -> dict:
    """Drag and drop: the tiles in the order given. A tile of another dashboard is a NotFound; tiles
    left out (added in another tab meanwhile) keep their order after the ones given."""
    def fn(tx, d):
        ids = _tile_ids(raw_ids)
        if not ids:
            raise Invalid("give the tiles in their new order", field="tile")
        current = [t["id"] for t in dq.tiles(tx, d["id"])]
        if any(i not in current for i in ids):
            raise NotFound("no such tile")
        dq.set_positions(tx, d["id"], ids + [i for i in current if i not in ids])

    return _grid_after(db, account, dashboard_id, now, theme, fn)


def resize_tile(db, account: dict, dashboard_id: int, tile_id: int, size, by, now: int, *,
                theme: str = "auto") -> dict:
    """A size (1-3, or small/medium/large), or one step bigger (by=1) or smaller (by=-1), kept within 1-3.
    Answers the tile alone."""
    tz = account["timezone"]

    def tx_fn(tx):
        d = _own(tx, account["id"], dashboard_id)
        t = _tile(tx, d["id"], tile_id)
        step = _step(by) if by not in (None, "") else None
        wanted = None if step is not None else check_size(size)
        new = wanted if wanted is not None else min(max(int(t["size"]) + step, 1), max(SIZES))
        dq.set_tile_size(tx, d["id"], tile_id, new)
        return d, _read_tile(tx, account["id"], {**t, "size": new}, now, tz)

    d, raw = db.run(tx_fn)
    return {"dashboard": _meta(d, tz), "tile": _render(raw, tz, check_theme(theme)), "theme": check_theme(theme),
            "now": now}
