"""The "Send data" page: how to post to this server, with the signed-in account's own keys."""

from __future__ import annotations

from flask import Blueprint, g

from app.interactors import docs
from app.web.auth import base_url, db, login_required, now
from app.web.present import page

bp = Blueprint("docs", __name__)


@bp.get("/docs")
@login_required
def index():
    view = docs.docs_view(db(), g.account["id"], base_url(), now())
    return page("partials/docs/index.html", title="Send data", data=view, view=view)
