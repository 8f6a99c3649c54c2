"""The Graphite-compatible read API at /x/TOKEN/graphite: what Grafana's built-in Graphite data
source calls (find, render, functions, tags, version). Authenticated by the access token."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from app.errors import Invalid
from app.graphite import formats
from app.interactors import graphite
from app.web.auth import db, now

bp = Blueprint("graphite_api", __name__, url_prefix="/x/<token>/graphite")
CSRF_EXEMPT = True  # authenticated by the token in the path, never by a cookie
GRAPHITE_VERSION = "1.1.10"  # the API level answered: Grafana picks its features by this


def _param(name: str, default=None):
    return request.values.get(name, default)


def _size(name: str, default: int) -> int:
    raw = _param(name)
    if raw in (None, ""):
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise Invalid(f"{name} must be a number") from None
    if not 50 <= value <= 4000:
        raise Invalid(f"{name} must be between 50 and 4000")
    return value


@bp.route("/metrics/find", methods=["GET", "POST"], strict_slashes=False)
def find(token: str):
    fmt = _param("format", "treejson")
    if fmt not in ("treejson", "completer", "json"):
        raise Invalid("format must be treejson, completer or json")
    query = _param("query", "")
    nodes = graphite.find(db(), token, query, completer=fmt == "completer")
    if fmt == "completer":
        return jsonify(formats.completer(nodes))
    if fmt == "json":
        return jsonify([{"path": p, "is_leaf": leaf} for p, leaf in nodes])
    return jsonify(formats.tree_json(nodes, query))


@bp.route("/metrics/expand", methods=["GET", "POST"], strict_slashes=False)
def expand(token: str):
    """graphite-web's expand: the paths each query matches (Grafana's "use expand" variables)."""
    return jsonify({"results": graphite.expand(db(), token, request.values.getlist("query"),
                                               leaves_only=_param("leavesOnly") in ("1", "true"))})


@bp.route("/render", methods=["GET", "POST"], strict_slashes=False)
def render(token: str):
    fmt = _param("format", "png")
    if fmt not in ("json", "csv", "svg", "png"):
        raise Invalid("format must be json, csv, svg or png")
    width, height = _size("width", 800), _size("height", 300)
    max_points = _param("maxDataPoints") or (width if fmt in ("svg", "png") else None)
    series = graphite.render(db(), token, request.values.getlist("target"), now(), raw_from=_param("from"),
                             raw_until=_param("until"), max_points=max_points, tz=_param("tz") or "UTC")
    if fmt == "json":
        return Response(formats.render_json(series), mimetype="application/json")
    if fmt == "csv":
        return Response(formats.render_csv(series), mimetype="text/csv")
    theme = "dark" if _param("theme") == "dark" else "light"
    if fmt == "svg":
        return Response(formats.render_svg(series, width=width, height=height, theme=theme, title=_param("title")),
                        mimetype="image/svg+xml")
    return Response(formats.render_png(series, width=width, height=height, theme=theme, title=_param("title")),
                    mimetype="image/png")


@bp.get("/functions", strict_slashes=False)
def function_list(token: str):
    graphite.check_token(db(), token)
    return Response(json.dumps(graphite.function_definitions()), mimetype="application/json")


@bp.get("/tags/autoComplete/tags", strict_slashes=False)
@bp.get("/tags/autoComplete/values", strict_slashes=False)
@bp.get("/tags", strict_slashes=False)
def tags(token: str):
    graphite.check_token(db(), token)
    return jsonify([])  # Eyrie stats carry no Graphite tags


@bp.get("/version", strict_slashes=False)
def version(token: str):
    graphite.check_token(db(), token)
    return Response(GRAPHITE_VERSION, mimetype="text/plain")

