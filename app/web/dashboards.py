"""Dashboards: /dashboards (list, create), /dashboards/<id> (tiles that redraw themselves, settings,
TV mode with ?tv=1), tile actions answered with the changed fragment, and the read-only shared view
/d/<token> (and /d/<token>/tv) that needs no session: its tiles refresh through token-authorized URLs."""

from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, make_response, redirect, render_template, request, url_for

from app.errors import Invalid
from app.interactors import dashboards as dash
from app.web.auth import db, login_required, now
from app.web.present import fragment, is_htmx, page, wants_json

bp = Blueprint("dashboards", __name__)

INDEX = "partials/dashboards/index.html"
BOARD = "partials/dashboards/show.html"
GRID = "partials/dashboards/grid.html"
TILE = "partials/dashboards/tile.html"
SETTINGS = "partials/dashboards/settings.html"
SHARED = "partials/dashboards/shared.html"


def _tv() -> bool:
    return request.args.get("tv", "").strip().lower() in ("1", "on", "true", "yes")


def _theme(tv: bool = False) -> str:
    """TV mode is dark unless asked otherwise (?theme=light); pages follow the browser (auto)."""
    wanted = request.args.get("theme") or ("dark" if tv else "auto")
    return dash.check_theme(wanted)


# -- presenters ----------------------------------------------------------------------------------------


def _present_board(view: dict, *, mode: str, token: str | None = None):
    """mode "edit": the owner's page; "view": the shared page; "tv": full screen, no chrome."""
    ctx = dict(v=view, mode=mode, token=token, title=view["dashboard"]["name"])
    if wants_json():
        return page(BOARD, data=view["data"], **ctx)
    if mode == "edit":
        return page(BOARD, **ctx)
    resp = make_response(render_template("layouts/tv.html", partial=SHARED, **ctx))
    resp.vary.add("Accept")
    if token:
        # A share link is a secret: keep it out of shared caches and out of Referer headers.
        resp.headers["Cache-Control"] = "private, no-store"
        resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _present_tile(view: dict, *, mode: str, token: str | None = None):
    resp = fragment(TILE, v=view, t=view["tile"], mode=mode, token=token)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _present_grid(view: dict, dashboard_id: int):
    """htmx: the grid alone (tiles in their new order); JSON: the data; a plain form post: back to the page."""
    if wants_json():
        return jsonify(view["data"])
    if is_htmx():
        return fragment(GRID, v=view, mode="edit", oob=True)   # and the tile count beside the title
    return redirect(url_for("dashboards.show", dashboard_id=dashboard_id), code=303)


def _present_settings(view: dict, *, renamed: bool = False, note: str = ""):
    if wants_json():
        return jsonify({k: v for k, v in view["dashboard"].items()})
    if is_htmx():
        return fragment(SETTINGS, v=view, renamed=renamed, note=note)
    if note:
        flash(note)
    return redirect(url_for("dashboards.show", dashboard_id=view["dashboard"]["id"]), code=303)


# -- the owner's pages ---------------------------------------------------------------------------------


@bp.get("/dashboards")
@login_required
def index():
    view = dash.list_dashboards(db(), g.account["id"])
    return page(INDEX, title="Dashboards", data=view, v=view)


@bp.post("/dashboards")
@login_required
def create():
    try:
        dashboard_id = dash.create_dashboard(db(), g.account["id"], request.form.get("name"), now())
    except Invalid as exc:
        view = dash.list_dashboards(db(), g.account["id"])
        return page(INDEX, title="Dashboards", data={"status": 400, "msg": exc.msg}, v=view, error=exc.msg,
                    name=request.form.get("name", ""), status=400)
    if wants_json():
        return jsonify({"status": 200, "id": dashboard_id}), 201
    return redirect(url_for("dashboards.show", dashboard_id=dashboard_id), code=303)


@bp.get("/dashboards/<int:dashboard_id>")
@login_required
def show(dashboard_id: int):
    tv = _tv()
    view = dash.dashboard_view(db(), g.account, dashboard_id, now(), theme=_theme(tv), tv=tv)
    return _present_board(view, mode="tv" if tv else "edit")


@bp.get("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>")
@login_required
def tile(dashboard_id: int, tile_id: int):
    tv = request.args.get("mode") == "tv"
    view = dash.tile_view(db(), g.account, dashboard_id, tile_id, now(), theme=_theme(), tv=tv)
    return _present_tile(view, mode="tv" if tv else "edit")


@bp.post("/dashboards/<int:dashboard_id>/name")
@login_required
def rename(dashboard_id: int):
    view = dash.rename_dashboard(db(), g.account, dashboard_id, request.form.get("name"))
    return _present_settings(view, renamed=True, note="Renamed.")


@bp.post("/dashboards/<int:dashboard_id>/refresh")
@login_required
def refresh(dashboard_id: int):
    view = dash.set_refresh(db(), g.account, dashboard_id, request.form.get("refresh"), now())
    if is_htmx() and not wants_json():
        return fragment(BOARD, v=view, mode="edit", token=None)
    return _present_settings(view, note="Saved.")


@bp.post("/dashboards/<int:dashboard_id>/share")
@login_required
def share(dashboard_id: int):
    return _present_settings(dash.share_dashboard(db(), g.account, dashboard_id), note="Share link created.")


@bp.post("/dashboards/<int:dashboard_id>/unshare")
@login_required
def unshare(dashboard_id: int):
    return _present_settings(dash.unshare_dashboard(db(), g.account, dashboard_id), note="No longer shared.")


@bp.post("/dashboards/<int:dashboard_id>/delete")
@login_required
def delete(dashboard_id: int):
    gone = dash.delete_dashboard(db(), g.account["id"], dashboard_id)
    if wants_json():
        return jsonify({"status": 200, "msg": "deleted", "id": gone["id"]})
    flash(f"Deleted the dashboard “{gone['name']}”. Its stats stay.")
    if is_htmx():
        resp = make_response("", 200)
        resp.headers["HX-Redirect"] = url_for("dashboards.index")
        return resp
    return redirect(url_for("dashboards.index"), code=303)


@bp.post("/dashboards/<int:dashboard_id>/tiles")
@login_required
def add_tile(dashboard_id: int):
    f = request.form
    view = dash.add_tile(db(), g.account, dashboard_id, f.getlist("s"), f.get("tf"), f.get("size"), f.get("title"),
                         now())
    return _present_grid(view, dashboard_id)


@bp.post("/dashboards/<int:dashboard_id>/order")
@login_required
def reorder(dashboard_id: int):
    view = dash.reorder_tiles(db(), g.account, dashboard_id, request.form.getlist("tile"), now())
    return _present_grid(view, dashboard_id)


@bp.post("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>/move")
@login_required
def move_tile(dashboard_id: int, tile_id: int):
    view = dash.move_tile(db(), g.account, dashboard_id, tile_id, request.form.get("by", ""), now())
    return _present_grid(view, dashboard_id)


@bp.post("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>/size")
@login_required
def resize_tile(dashboard_id: int, tile_id: int):
    view = dash.resize_tile(db(), g.account, dashboard_id, tile_id, request.form.get("size"), request.form.get("by"),
                            now())
    if wants_json():
        return jsonify({k: v for k, v in view["tile"].items() if k != "svg"})
    if is_htmx():
        return _present_tile(view, mode="edit")
    return redirect(url_for("dashboards.show", dashboard_id=dashboard_id), code=303)


@bp.post("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>/delete")
@login_required
def remove_tile(dashboard_id: int, tile_id: int):
    return _present_grid(dash.remove_tile(db(), g.account, dashboard_id, tile_id, now()), dashboard_id)


# -- shared, read-only: no session; the token is the only key ---------------------------------------


@bp.get("/d/<token>")
def shared(token: str):
    tv = _tv()
    return _present_board(dash.shared_view(db(), token, now(), theme=_theme(tv), tv=tv), mode="tv" if tv else "view",
                          token=token)


@bp.get("/d/<token>/tv")
def shared_tv(token: str):
    return _present_board(dash.shared_view(db(), token, now(), theme=_theme(True), tv=True), mode="tv", token=token)


@bp.get("/d/<token>/tiles/<int:tile_id>")
def shared_tile(token: str, tile_id: int):
    tv = request.args.get("mode") == "tv"
    view = dash.shared_tile_view(db(), token, tile_id, now(), theme=_theme(), tv=tv)
    return _present_tile(view, mode="tv" if tv else "view", token=token)
