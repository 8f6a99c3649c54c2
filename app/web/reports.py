"""Report settings (/settings/reports) and the unsubscribe link from report mail (no login)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, g, request

from app.errors import EyrieError
from app.interactors import reports as rp
from app.web.auth import base_url, config, db, login_required, now
from app.web.present import page

bp = Blueprint("reports", __name__)


def _settings(status: int = 200, error=None, saved: bool = False, sent: dict | None = None):
    view = rp.settings_view(db(), g.account["id"])
    return page("partials/reports/settings.html", title="Reports", data=view, view=view, error=error, saved=saved,
                sent=sent, now=now(), status=status)


@bp.get("/settings/reports")
@login_required
def settings():
    return _settings()


@bp.post("/settings/reports")
@login_required
def save():
    try:
        rp.save_settings(db(), g.account["id"], daily=bool(request.form.get("daily")),
                         weekly=bool(request.form.get("weekly")), hour=request.form.get("hour", ""),
                         stat_ids=request.form.getlist("stat"), now=now())
    except EyrieError as exc:
        return _settings(status=exc.status, error=exc)
    return _settings(saved=True)


@bp.post("/settings/reports/send")
@login_required
def send_now():
    # Links in this mail point where the request came from (the worker's mail uses EYRIE_BASE_URL or PORT).
    cfg = replace(config(), base_url=base_url())
    try:
        sent = rp.send_now(db(), cfg, g.account["id"], request.form.get("period", "daily"), now())
    except EyrieError as exc:
        return _settings(status=exc.status, error=exc)
    return _settings(sent=sent)


@bp.get("/reports/unsubscribe/<token>")
def unsubscribe(token: str):
    result = rp.unsubscribe(db(), config().secret_key, token)
    return page("partials/reports/unsubscribed.html", layout="layouts/bare.html", title="Unsubscribed", data=result,
                result=result)
