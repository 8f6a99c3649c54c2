"""StatHat's export API, authenticated by the access token in the path. JSON in, JSON out."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.interactors import export
from app.web.auth import db, now
from app.web.fast_export import RAISED

bp = Blueprint("export_api", __name__, url_prefix="/x/<token>")
CSRF_EXEMPT = True  # authenticated by the token in the path, never by a cookie


@bp.before_request
def raised_on_the_fast_path():
    """A data read the fast path (fast_export.py) began: what it raised is answered here, as if the
    view had raised it, instead of reading again."""
    exc = request.environ.pop(RAISED, None)
    if exc is not None:
        raise exc


@bp.get("/statlist")
def statlist(token: str):
    return jsonify(export.stat_list(db(), token, request.args.get("offset")))


@bp.get("/stat")
def stat(token: str):
    return jsonify(export.stat_by_name(db(), token, request.args.get("name", "")))


@bp.get("/data/<path:ids>")
def data(token: str, ids: str):
    return jsonify(export.datasets(
        db(), token, ids.split("/"), now(), t=request.args.get("t"),
        start=request.args.get("start"), summary=request.args.get("summary"),
    ))


@bp.delete("/stats/<stat_id>")
def delete(token: str, stat_id: str):
    return jsonify(export.delete_stat(db(), token, stat_id, now()))
