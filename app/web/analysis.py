"""Overlay analysis: several stats on one graph (/analyze), and saved analyses (/analyze/<id>)."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, url_for

from app.errors import EyrieError
from app.interactors import analysis as an
from app.web.auth import db, login_required, now
from app.web.present import fragment, is_htmx, page

bp = Blueprint("analysis", __name__)


def _present(view: dict, status: int = 200, **ctx):
    """The whole page, or for htmx (the picker changed) only the graph fragment."""
    partial = "partials/analysis/graph.html" if is_htmx() else "partials/analysis/index.html"
    title = view["analysis"]["name"] if view["analysis"] else "Analyze"
    if view["error"] and status == 200:
        status = 400
    return page(partial, title=title, data=view["data"], view=view, status=status, **ctx)


@bp.get("/analyze")
@login_required
def index():
    a = request.args
    view = an.overlay_view(db(), g.account, a.getlist("s"), a.get("tf"), now(), query=a.get("q", ""),
                           start=a.get("start"), end=a.get("end"), scale=a.get("scale"))
    return _present(view)


@bp.get("/analyze/stats")
@login_required
def picker():
    view = an.picker_view(db(), g.account["id"], request.args.getlist("s"), request.args.get("q", ""))
    return fragment("partials/analysis/picker.html", view=view)


@bp.post("/analyze/save")
@login_required
def save():
    form = request.form
    try:
        analysis_id = an.save_analysis(db(), g.account["id"], form.get("name", ""), form.getlist("s"),
                                       form.get("tf"), now())
    except EyrieError as exc:
        view = an.overlay_view(db(), g.account, form.getlist("s"), form.get("tf"), now())
        return _present(view, status=exc.status, save_error=exc.msg, name=form.get("name", ""))
    return redirect(url_for("analysis.show", analysis_id=analysis_id), code=303)


@bp.get("/analyze/<int:analysis_id>")
@login_required
def show(analysis_id: int):
    return _present(an.saved_view(db(), g.account, analysis_id, now()))


@bp.post("/analyze/<int:analysis_id>/delete")
@login_required
def delete(analysis_id: int):
    an.delete_analysis(db(), g.account["id"], analysis_id)
    if not is_htmx():
        return redirect(url_for("analysis.index"), code=303)
    return fragment("partials/analysis/saved.html", view=an.saved_list(db(), g.account["id"]), deleted=True)
