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
from app.graphs import svg_to_png
from app.histogram import bins, render_histogram
from app.interactors import graphs
from app.numbers import fmt
from app.params import parse_int
from app.series import summarize
from app.storage import embeds as eq

VERSION = "2"           # bump when the drawing changes, so browsers drop what they kept
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
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
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
    start: int | None = None   # a custom range (start/end in the URL, as on the stat page)
    end: int | None = None

    @property
    def range(self) -> graphs.Range:
        return graphs.Range(self.code, self.start, self.end)


def parse_tf(raw: str | None) -> tuple[str, bool]:
    """StatHat's names (week, week_compare), Eyrie's codes (1w, all), or any duration@interval (2d1h)."""
    tf = (raw or DEFAULT_TF).strip()
    base, compare = (tf[:-8], True) if tf.endswith("_compare") else (tf, False)
    code = STATHAT_TF.get(base, base)
    names = ", ".join([*STATHAT_TF, *CODES])
    if code not in CODES:
        try:
            code = graphs.parse_range(code, codes=CODES).code
        except Invalid:
            raise Invalid(f"unknown tf {tf[:24]!r}: use one of {names}, a duration and interval like 2d1h, or a "
                          "name with _compare (e.g. week_compare)") from None
    if compare and code == "all":
        raise Invalid(f"unknown tf {tf[:24]!r}: all has no previous period to compare with")
    return code, compare


def _size(raw: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    # 500 or 500.0; out of range is brought into it (StatHat's embed codes ask for any size).
    n = parse_int(raw, field=name, lo=-10**9, hi=10**9, decimals=True, label=f"{name} (pixels, {lo}-{hi})")
    return min(max(n, lo), hi)


def parse_options(args) -> Options:
    """args: a mapping of query parameters (StatHat's names). Garbage is Invalid (400)."""
    code, compare = parse_tf(args.get("tf"))
    start = end = None
    if args.get("start") or args.get("end"):
        rng = graphs.parse_range(None, args.get("start"), args.get("end"))
        code, start, end = rng.code, rng.start, rng.end
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
                   style=STYLES[style], theme=theme, title=title, start=start, end=end)


def parse_path(path: str) -> tuple[list[str], str]:
    """'K1/K2.svg' -> (['K1', 'K2'], 'svg'); 'K1.png' -> (['K1'], 'png'); 'K1' -> (['K1'], 'html').
    A bad key is NotFound."""
    fmt = "html"
    for ext in ("svg", "png"):
        if path.endswith("." + ext):
            path, fmt = path[:-len(ext) - 1], ext
    keys = path.split("/")
    if not 1 <= len(keys) <= MAX_STATS or not all(KEY.match(k) for k in keys):
        raise NotFound("no such embed")
    return list(dict.fromkeys(keys)), fmt   # the same stat twice is drawn once


def lookup(db, keys: list[str]) -> list[dict]:
    found = db.read(lambda tx: eq.stats_by_embed_keys(tx, keys))
    stats = [found.get(k) for k in keys]
    if any(s is None or s["deleted_at"] is not None for s in stats) or len({s["account_id"] for s in stats}) != 1:
        raise NotFound("no such embed")
    return stats


def make_etag(what: str, stats: list[dict], now: int, *extra) -> str:
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


def public_fields(stats: list[dict]) -> list[dict]:
    """What an embed may say about its stats (their keys are in the URL already)."""
    return [{"name": s["name"], "kind": s["kind"], "unit": s["unit"] or "", "public": bool(s["public"]),
             "embed_key": s["embed_key"]} for s in stats]


def graph(db, cache, path: str, args, now: int, known_etags=()) -> dict:
    """The embed at /embed/graph/<path>: {"etag", "fmt", "svg" (None when the client's copy is current),
    "stats", "options", "title", "alt"}. One query when the ETag matches or the render is cached."""
    keys, fmt = parse_path(path)
    opts = parse_options(args)
    stats = lookup(db, keys)
    etag = make_etag("graph", stats, now, fmt, astuple(opts))
    title = default_title(stats, opts)
    alt = f"{', '.join(s['name'] for s in stats)}: graph {_span_words(opts)}"
    out = {"etag": etag, "fmt": fmt, "svg": None, "stats": public_fields(stats), "options": opts, "title": title,
           "alt": alt, "cached": False}
    if etag in known_etags:
        return out
    svg = cache.get(etag)
    if svg is None:
        tz = stats[0]["timezone"] or "UTC"
        svg = db.read(lambda tx: graphs.overlay_graph(
            tx, stats, opts.range, now, tz, compare=opts.compare, width=opts.width, height=opts.height,
            style=opts.style, theme=opts.theme, title=title))
        if fmt == "png":   # for chat previews, mail clients and markdown renderers that show no SVG
            svg = svg_to_png(svg, background=None if opts.theme == "dark" else "white")
        cache.put(etag, svg, len(svg))
    else:
        out["cached"] = True
    out["svg"] = svg
    return out


def _span_words(opts: Options) -> str:
    if opts.code == "custom":
        return "over a custom range"
    label = graphs.LABELS.get(opts.code) or (graphs.EXTRA[opts.code][0] if opts.code in graphs.EXTRA else opts.code)
    return f"over the last {label.removeprefix('1 ')}"


# -- StatHat's other embed kinds: text, data, table, histogram ------------------------------------

KINDS = {"text": ("txt", "json"), "data": ("json",), "table": ("json",), "histogram": ("svg", "png", "json")}
TABLE_ROWS, TABLE_MAX = 10, 100


def _kind_path(kind: str, path: str) -> tuple[str, str]:
    if kind not in KINDS:
        raise NotFound("no such embed")
    key, _, ext = path.rpartition(".")
    if not key:
        key, ext = path, KINDS[kind][0]
    if ext not in KINDS[kind] or not KEY.match(key):
        raise NotFound("no such embed")
    return key, ext


def _rows_arg(raw) -> int:
    if raw in (None, ""):
        return TABLE_ROWS
    try:
        return min(max(int(str(raw).strip()), 1), TABLE_MAX)
    except ValueError:
        raise Invalid(f"rows must be a whole number (1-{TABLE_MAX}), not {str(raw)[:20]!r}") from None


def figures(db, cache, kind: str, path: str, args, now: int, known_etags=()) -> dict:
    """/embed/<kind>/<key>[.ext]: the last value as text (text), a small summary (data), the recent buckets
    (table) or a histogram of the per-interval values (histogram), over the timeframe asked (tf, or
    start/end; default a week). Authorized by the embed key alone, like graphs; one stat per request.
    {"etag", "ext", "body" (None when the client's copy is current), "mimetype"}."""
    key, ext = _kind_path(kind, path)
    opts = parse_options({**{k: args.get(k) for k in ("tf", "start", "end", "w", "h", "theme", "title")},
                          "tf": args.get("tf") or "week"})
    rows = _rows_arg(args.get("rows")) if kind == "table" else 0
    stats = lookup(db, [key])
    tag = make_etag(kind, stats, now, ext, astuple(opts), rows)
    out = {"etag": tag, "ext": ext, "body": None, "mimetype": _MIME[ext]}
    if tag in known_etags:
        return out
    body = cache.get(tag)
    if body is None:
        body = _figure_body(db, stats[0], kind, ext, opts, rows, now)
        cache.put(tag, body, len(body))
    out["body"] = body
    return out


_MIME = {"txt": "text/plain", "json": "application/json", "svg": "image/svg+xml", "png": "image/png"}


def _figure_body(db, stat: dict, kind: str, ext: str, opts: Options, rows: int, now: int):
    tz = stat["timezone"] or "UTC"
    unit = stat["unit"] or ""

    def read(tx):
        win = graphs.window(tx, stat, opts.range, now, tz)
        return win, graphs.read_series(tx, stat, win, now, tz)

    win, data = db.read(read)
    buckets = data["buckets"]
    s = summarize(buckets, stat["kind"])
    about = {"name": stat["name"], "kind": stat["kind"], "unit": unit, "timeframe": win.label,
             "detail": win.tf.label if win.code != "custom" else win.label, "timezone": tz}
    if kind == "text":
        # A counter's figure is its total over the timeframe; a value stat's its latest value.
        value = s.total if stat["kind"] == "counter" else s.last
        text = fmt(value, unit)
        if ext == "txt":
            return text + "\n"
        return _json({**about, "value": _plain(value), "text": text,
                      "label": f"total over {win.label}" if stat["kind"] == "counter" else "latest"})
    if kind == "data":
        figs = {k: getattr(s, k) for k in ("total", "mean", "min", "max", "last", "stddev")}
        return _json({**about, "count": s.count, **{k: _plain(v) for k, v in figs.items()},
                      "text": {k: fmt(v, unit) for k, v in figs.items() if v is not None or k != "total"}})
    if kind == "table":
        recent = buckets[-rows:][::-1]
        return _json({**about, "rows": [{"time": b.time, "when": graphs.when(b.time, win.step, tz),
                                         "value": _plain(b.value(stat["kind"])),
                                         "text": fmt(b.value(stat["kind"]), unit), "count": b.n} for b in recent]})
    values = [b.value(stat["kind"]) for b in buckets if b.n]
    if ext == "json":
        return _json({**about, "bins": [{"low": lo, "high": hi, "count": c} for lo, hi, c in bins(values)]})
    title = opts.title if opts.title is not None else stat["name"]
    svg = render_histogram(values, unit=unit, width=opts.width, height=opts.height, theme=opts.theme,
                           title=title or None)
    return svg if ext == "svg" else svg_to_png(svg, background=None if opts.theme == "dark" else "white")


def _plain(v):
    return None if v is None else (int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v))


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


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
