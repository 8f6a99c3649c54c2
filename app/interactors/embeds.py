"""Embeds: a stat's graph without a session, authorized by the stat's unguessable embed key.

StatHat compatible: `StatHatEmbed.render({s1, s2, s3, w, h, tf, style, title})` asked for up to three
stats overlaid, so one request names one to three embed keys. Each key authorizes only its own stat, and
every key must be a live stat of one account; anything else is 404 for the whole request, so a guess
reveals nothing.

Cheap to serve: one query finds the stats by key with a data fingerprint each (their newest minute
bucket: ts, n, total); the ETag hashes that, the current minute and the options. A known ETag is a 304
with nothing rendered; otherwise the render cache (keyed by the ETag) is asked before drawing. A new
point changes the fingerprint at once, and every entry is retired after its minute anyway (data posted
back in time, renames of the account's timezone...).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import astuple, dataclass
from html import escape
from urllib.parse import urlencode

from app.errors import Invalid, NotFound
from app.interactors import graphs
from app.interactors import stat_page as sp
from app.storage import embeds as eq

VERSION = "1"           # bump when the drawing changes, so browsers drop what they kept
MAX_STATS = 3
W_MIN, W_MAX, H_MIN, H_MAX = 60, 2000, 20, 1200
DEFAULT_W, DEFAULT_H = 500, 200
MAX_TITLE = 120
DEFAULT_TF = "week_compare"   # StatHat's default
# StatHat's names -> Eyrie's timeframe codes.
STATHAT_TF = {"hour": "1h", "day": "1d", "week": "1w", "month": "1M", "half": "6M", "year": "1y"}
CODES = ("1h", "1d", "1w", "1M", "3M", "6M", "1y", "all")
STYLES = {"auto": "auto", "line": "line", "fill": "fill", "bar": "bar", "spark": "spark", "mini": "mini",
          "fill_bar": "bar"}   # fill_bar: seen in StatHat embeds
THEMES = ("light", "dark")
SIZES = ((300, 100), (400, 150), (500, 200), (800, 350))   # StatHat's common sizes, for the builder
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Options:
    tf: str            # as asked (e.g. week_compare), for the builder and alt text
    code: str          # Eyrie's timeframe code
    compare: bool
    width: int
    height: int
    style: str
    theme: str
    title: str | None  # None: the default (the stat names); "": none


def parse_tf(raw: str | None) -> tuple[str, bool]:
    tf = (raw or DEFAULT_TF).strip()
    base, compare = (tf[:-8], True) if tf.endswith("_compare") else (tf, False)
    code = STATHAT_TF.get(base, base)
    if code not in CODES or (compare and code == "all"):
        names = ", ".join([*STATHAT_TF, *CODES])
        raise Invalid(f"unknown tf {tf[:24]!r}: use one of {names}, or a name with _compare (e.g. week_compare)")
    return code, compare


def _size(raw: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        n = int(float(raw.strip()))   # 500, 500.0
    except (ValueError, OverflowError):
        raise Invalid(f"{name} must be a whole number of pixels ({lo}-{hi}), not {raw[:20]!r}") from None
    return min(max(n, lo), hi)


def parse_options(args) -> Options:
    """args: a mapping of query parameters (StatHat's names). Garbage is Invalid (400)."""
    code, compare = parse_tf(args.get("tf"))
    style = (args.get("style") or "auto").strip().lower()
    if style not in STYLES:
        raise Invalid(f"unknown style {style[:20]!r}: use line, fill, bar, spark or mini")
    theme = (args.get("theme") or "light").strip().lower()
    if theme not in THEMES:
        raise Invalid(f"unknown theme {theme[:20]!r}: use light or dark")
    title = args.get("title")
    if title is not None:
        title = _CONTROL.sub(" ", title).strip()
        title = title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 1] + "…"
    return Options(tf=(args.get("tf") or DEFAULT_TF).strip(), code=code, compare=compare,
                   width=_size(args.get("w"), "w", DEFAULT_W, W_MIN, W_MAX),
                   height=_size(args.get("h"), "h", DEFAULT_H, H_MIN, H_MAX),
                   style=STYLES[style], theme=theme, title=title)


def parse_path(path: str) -> tuple[list[str], str]:
    """'K1/K2.svg' -> (['K1', 'K2'], 'svg'); 'K1' -> (['K1'], 'html'). A bad key is NotFound."""
    fmt = "html"
    if path.endswith(".svg"):
        path, fmt = path[:-4], "svg"
    keys = path.split("/")
    if not 1 <= len(keys) <= MAX_STATS or not all(_KEY.match(k) for k in keys):
        raise NotFound("no such embed")
    return list(dict.fromkeys(keys)), fmt   # the same stat twice is drawn once


def _lookup(db, keys: list[str]) -> list[dict]:
    found = db.read(lambda tx: eq.stats_by_embed_keys(tx, keys))
    stats = [found.get(k) for k in keys]
    if any(s is None or s["deleted_at"] is not None for s in stats) or len({s["account_id"] for s in stats}) != 1:
        raise NotFound("no such embed")
    return stats


def _etag(what: str, stats: list[dict], now: int, *extra) -> str:
    parts = [VERSION, what, now // 60, stats[0]["timezone"], *extra]
    for s in stats:
        parts += [s["id"], s["name"], s["kind"], s["unit"], int(s["public"]), s["fp_ts"], s["fp_n"],
                  None if s["fp_total"] is None else float(s["fp_total"])]
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def default_title(stats: list[dict], opts: Options) -> str | None:
    if opts.title is not None:
        return opts.title or None
    if opts.style in ("spark", "mini") or opts.height < 100:
        return None   # too small to spare a line for it
    return ", ".join(s["name"] for s in stats)


def _public(stats: list[dict]) -> list[dict]:
    """What an embed may say about its stats (their keys are in the URL already)."""
    return [{"name": s["name"], "kind": s["kind"], "unit": s["unit"] or "", "public": bool(s["public"]),
             "embed_key": s["embed_key"]} for s in stats]


def graph(db, cache, path: str, args, now: int, known_etags=()) -> dict:
    """The embed at /embed/graph/<path>: {"etag", "fmt", "svg" (None when the client's copy is current),
    "stats", "options", "title", "alt"}. One query when the ETag matches or the render is cached."""
    keys, fmt = parse_path(path)
    opts = parse_options(args)
    stats = _lookup(db, keys)
    etag = _etag("graph", stats, now, fmt, astuple(opts))
    title = default_title(stats, opts)
    label = graphs.LABELS.get(opts.code) or graphs.EXTRA[opts.code][0]
    alt = f"{', '.join(s['name'] for s in stats)}: graph over the last {label.removeprefix('1 ')}"
    out = {"etag": etag, "fmt": fmt, "svg": None, "stats": _public(stats), "options": opts, "title": title,
           "alt": alt, "cached": False}
    if etag in known_etags:
        return out
    svg = cache.get(etag)
    if svg is None:
        tz = stats[0]["timezone"] or "UTC"
        svg = db.read(lambda tx: graphs.overlay_graph(
            tx, stats, opts.code, now, tz, compare=opts.compare, width=opts.width, height=opts.height,
            style=opts.style, theme=opts.theme, title=title))
        cache.put(etag, svg, len(svg))
    else:
        out["cached"] = True
    out["svg"] = svg
    return out


def public_stat(db, cache, key: str, code: str | None, now: int, known_etags=()) -> dict:
    """A public stat's page by its embed key: name, graph, summaries. NotFound unless the stat is public."""
    if not _KEY.match(key or ""):
        raise NotFound("no such stat")
    code = graphs.parse_code(code)
    stats = _lookup(db, [key])
    stat = stats[0]
    if not stat["public"]:
        raise NotFound("no such stat")
    etag = _etag("public", stats, now, code)
    if etag in known_etags:
        return {"etag": etag, "view": None}
    view = cache.get(etag)
    if view is None:
        full = sp.stat_view(db, stat["account_id"], stat["id"], code, True, now, stat["timezone"] or "UTC",
                            with_points=False, with_marks=False)   # alerts are the owner's business
        view = {k: v for k, v in full.items() if k not in ("points", "previous", "embed")}
        view["stat"] = {**_public(stats)[0], "last_data_at": full["stat"]["last_data_at"]}
        view["timezone"] = stat["timezone"] or "UTC"
        cache.put(etag, view, len(view["svg"]) + 4096)
    return {"etag": etag, "view": view}


# -- the embed builder on the stat page ----------------------------------------------------------

TF_CHOICES = (("week_compare", "Week, with the previous week"), ("week", "Week"),
              ("day_compare", "Day, with the previous day"), ("day", "Day"), ("hour", "Hour"),
              ("month_compare", "Month, with the previous month"), ("month", "Month"), ("3M", "3 months"),
              ("half", "6 months"), ("year", "Year"), ("all", "All time"))
STYLE_CHOICES = (("auto", "Automatic"), ("line", "Line"), ("fill", "Filled"), ("bar", "Bars"),
                 ("spark", "Sparkline"), ("mini", "Mini"))


def builder(stat: dict, args, base_url: str) -> dict:
    """What the builder shows for the chosen options: the preview's URL (a path) and the code to copy
    (absolute URLs on base_url)."""
    size = (args.get("size") or "").strip()
    preset = next((p for p in SIZES if f"{p[0]}x{p[1]}" == size), None)
    if preset is None and size != "custom":
        preset, size = (DEFAULT_W, DEFAULT_H), f"{DEFAULT_W}x{DEFAULT_H}"
    raw = {k: args.get(k) for k in ("w", "h", "tf", "style", "theme", "title")}
    if preset:
        raw["w"], raw["h"] = str(preset[0]), str(preset[1])
    opts = parse_options(raw)
    title = opts.title or None
    q = [("w", opts.width), ("h", opts.height), ("tf", opts.tf)]
    q += [("style", opts.style)] if opts.style != "auto" else []
    q += [("theme", opts.theme)] if opts.theme != "light" else []
    q += [("title", title)] if title else []
    query = urlencode(q)
    key = stat["embed_key"]
    js = [f"s1: '{key}'", f"w: {opts.width}", f"h: {opts.height}", f"tf: '{opts.tf}'"]
    js += [f"style: '{opts.style}'"] if opts.style != "auto" else []
    js += [f"theme: '{opts.theme}'"] if opts.theme != "light" else []
    js += [f"title: {_js_string(title)}"] if title else []
    svg_path, frame_path = f"/embed/graph/{key}.svg?{query}", f"/embed/graph/{key}?{query}"
    alt = escape(title or stat["name"])
    size_attrs = f'width="{opts.width}" height="{opts.height}"'
    script = f'<script src="{escape(base_url)}/static/embed.js"></script>'
    codes = (
        ("script", "Script (StatHat compatible)",
         f'{script}\n<script>StatHatEmbed.render({{{", ".join(js)}}});</script>'),
        ("img", "Image", f'<img src="{escape(base_url + svg_path)}" {size_attrs} alt="{alt}">'),
        ("iframe", "Iframe",
         f'<iframe src="{escape(base_url + frame_path)}" {size_attrs} style="border:0" scrolling="no"'
         f' title="{alt}"></iframe>'),
    )
    options = {"w": opts.width, "h": opts.height, "tf": opts.tf, "style": opts.style, "theme": opts.theme,
               "title": title or ""}
    return {"key": key, "name": stat["name"], "public": bool(stat["public"]), "size": size, "options": options,
        "svg_path": svg_path, "public_path": f"/s/{key}", "public_url": f"{base_url}/s/{key}", "codes": codes,
        "presets": [f"{w}x{h}" for w, h in SIZES], "tfs": TF_CHOICES, "styles": STYLE_CHOICES, "themes": THEMES}


def _js_string(text: str) -> str:
    """A JavaScript string literal that is also safe inside <script> (no </script>, no <!--)."""
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
