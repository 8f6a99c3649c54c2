"""StatHat's alerts API: /x/TOKEN/alerts (list, create) and /x/TOKEN/alerts/ID (get, delete). JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.interactors import alerts
from app.web.auth import config, db, now

bp = Blueprint("alerts_api", __name__, url_prefix="/x/<token>")
CSRF_EXEMPT = True  # authenticated by the token in the path, never by a cookie


@bp.get("/alerts")
def index(token: str):
    return jsonify(alerts.api_list(db(), token))


@bp.post("/alerts")
def create(token: str):
    # Form parameters as StatHat took them; query-string parameters count too (curl -d vs ?a=b).
    params = {**request.args.to_dict(), **request.form.to_dict()}
    return jsonify(alerts.api_create(db(), token, params, now(), allow_private=config().webhook_allow_private))


@bp.get("/alerts/<alert_id>")
def show(token: str, alert_id: str):
    return jsonify(alerts.api_get(db(), token, alert_id))


@bp.delete("/alerts/<alert_id>")
def delete(token: str, alert_id: str):
    return jsonify(alerts.api_delete(db(), token, alert_id))
