"""The stats list (the home page when signed in), deleting several stats, and the trash."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, url_for

from app.interactors import stats as st
from app.web.auth import base_url, db, login_required, now
from app.web.present import is_htmx, page

bp = Blueprint("stats", __name__)


def _list(status: int = 200, message: str | None = None):
    view = st.list_view(db(), g.account["id"], now(), query=request.args.get("q", ""),
                        sort=request.args.get("sort", "name"), offset=request.args.get("offset"))
    return page("partials/stats/index.html", title="Stats", data=view, view=view, now=now(), message=message,
                ezkey=g.account["email"], base_url=base_url(), status=status)


@bp.get("/")
@login_required
def index():
    return _list()


@bp.post("/stats/delete")
@login_required
def delete_selected():
    n = st.trash_stats(db(), g.account["id"], request.form.getlist("stat"), now())
    if not is_htmx():
        return redirect(url_for("stats.index"))
    msg = f"Moved {n} stat{'s' if n != 1 else ''} to the trash." if n else "Select the stats to delete first."
    return _list(message=msg)


@bp.get("/trash")
@login_required
def trash():
    view = st.trash_view(db(), g.account["id"], now())
    return page("partials/stats/trash.html", title="Trash", data=view, view=view, now=now())


@bp.post("/trash/<int:stat_id>/restore")
@login_required
def restore(stat_id: int):
    st.restore_stat(db(), g.account["id"], stat_id)
    if not is_htmx():
        return redirect(url_for("stats.trash"))
    view = st.trash_view(db(), g.account["id"], now())
    return page("partials/stats/trash.html", title="Trash", data=view, view=view, now=now(), restored=stat_id)
