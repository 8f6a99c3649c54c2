"""Presenters: one result, three answers. A full page (the partial inside a layout), the partial
alone for htmx requests, or JSON for `Accept: application/json`, all from the same data."""

from __future__ import annotations

from flask import jsonify, make_response, render_template, request


def is_htmx() -> bool:
    """An htmx request that wants the partial alone. Boosted links and history restores (after a
    cache miss htmx re-fetches the pushed URL and swaps the whole body) want the full page."""
    h = request.headers
    return h.get("HX-Request") == "true" and h.get("HX-Boosted") != "true" and not h.get("HX-History-Restore-Request")


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def page(partial: str, *, data=None, layout: str = "layouts/app.html", title: str = "", status: int = 200,
         **ctx):
    """Render `partial` as a page, as a fragment (htmx) or as JSON (`data`, or the context)."""
    if wants_json():
        resp = jsonify(data if data is not None else _jsonable(ctx))
    elif is_htmx():
        resp = make_response(render_template(partial, **ctx))
    else:
        resp = make_response(render_template(layout, partial=partial, title=title, **ctx))
    resp.status_code = status
    resp.vary.add("HX-Request")
    resp.vary.add("Accept")
    return resp


def fragment(partial: str, status: int = 200, **ctx):
    """An htmx target's partial alone (also what a page includes)."""
    resp = make_response(render_template(partial, **ctx))
    resp.status_code = status
    resp.vary.add("HX-Request")
    return resp


def _jsonable(ctx: dict) -> dict:
    out = {}
    for k, v in ctx.items():
        if isinstance(v, (str, int, float, bool, type(None), list, dict)):
            out[k] = v
    return out
