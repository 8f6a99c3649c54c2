"""Embeds: graphs by embed key, without a session (SVG image, iframe page), and public stat pages.

Every answer carries an ETag and `Cache-Control: public, max-age=60`; a matching If-None-Match is a
304 with no body. No cookies are read or set here, so shared caches may keep the answers.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request

from app.embed_cache import RenderCache
from app.errors import NotFound
from app.interactors import embeds, public_page
from app.web.auth import db, now

bp = Blueprint("embeds", __name__)
CACHE_CONTROL = "public, max-age=60"


@bp.record_once
def _setup(state) -> None:
    state.app.extensions.setdefault("eyrie.embed_cache", RenderCache())


@bp.after_request
def _readable_elsewhere(resp):
    # Errors too (a bad key's 404, a bad tf's 400): embed.js on another site reads them to say what is wrong.
    resp.headers.setdefault("Access-Control-Allow-Origin", "*")
    return resp


def cache() -> RenderCache:
    return current_app.extensions["eyrie.embed_cache"]


# -- presenters ---------------------------------------------------------------------------------


def _cached(resp, etag: str):
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    resp.headers["Access-Control-Allow-Origin"] = "*"   # the image may be fetched by other sites' scripts
    return resp


def _not_modified(etag: str):
    return _cached(current_app.response_class(status=304), etag)


def present_graph(result: dict):
    if result["svg"] is None:
        return _not_modified(result["etag"])
    if result["fmt"] == "png":
        resp = current_app.response_class(result["svg"], mimetype="image/png")
    elif result["fmt"] == "svg":
        resp = current_app.response_class(result["svg"], mimetype="image/svg+xml")
        resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    else:
        resp = make_response(render_template("partials/embed/frame.html", e=result))
        resp.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                   "script-src 'self'; img-src 'self'; frame-ancestors *")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return _cached(resp, result["etag"])


def present_figures(result: dict):
    if result["body"] is None:
        return _not_modified(result["etag"])
    resp = current_app.response_class(result["body"], mimetype=result["mimetype"])
    if result["ext"] == "svg":
        resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return _cached(resp, result["etag"])


def present_public(result: dict):
    if result["view"] is None:
        return _not_modified(result["etag"])
    v = result["view"]
    resp = make_response(render_template("partials/embed/public.html", v=v, s=v["stat"], title=v["stat"]["name"]))
    return _cached(resp, result["etag"])


# -- handlers -------------------------------------------------------------------------------------


@bp.get("/embed/graph/<path:keys>")
def graph(keys: str):
    try:
        return present_graph(embeds.graph(db(), cache(), keys, request.args, now(), request.if_none_match))
    except NotFound:
        if keys.endswith(".svg"):
            return present_missing(request.args)
        raise


def present_missing(args):
    """A bad or revoked embed key in an <img>: a readable placeholder (still a 404) instead of a
    broken-image icon on someone's page."""
    from markupsafe import escape

    def size(raw, default: int, lo: int, hi: int) -> int:
        try:
            return max(lo, min(int(str(raw)), hi))
        except (TypeError, ValueError):
            return default

    w, h = size(args.get("w"), 500, 120, 2000), size(args.get("h"), 200, 40, 1200)
    head, note = "Graph not available", "Check the embed key: the stat may be deleted or private."
    mid = h / 2
    lines = f'<text x="{w / 2}" y="{mid - 4 if h >= 60 else mid + 5}" font-size="14" font-weight="600">{head}</text>'
    if h >= 60 and w >= 360:
        lines += f'<text x="{w / 2}" y="{mid + 16}" font-size="12">{escape(note)}</text>'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
           f'aria-label="{head}. {escape(note)}"><rect x="0.5" y="0.5" width="{w - 1}" height="{h - 1}" rx="6" '
           f'fill="#f9fafb" stroke="#d1d5db" stroke-dasharray="4 3"/><g fill="#4b5563" text-anchor="middle" '
           f'font-family="sans-serif">{lines}</g></svg>')
    resp = current_app.response_class(svg, status=404, mimetype="image/svg+xml")
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/embed/<any(text, data, table, histogram):kind>/<path>")
def figures(kind: str, path: str):
    return present_figures(embeds.figures(db(), cache(), kind, path, request.args, now(), request.if_none_match))


@bp.get("/s/<key>")
def public_stat(key: str):
    return present_public(public_page.public_stat(db(), cache(), key, request.args.get("tf"), now(),
                                             request.if_none_match))
