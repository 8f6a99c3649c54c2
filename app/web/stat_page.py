"""One stat's page: graph over a timeframe with the previous period, summaries, downloads, settings."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, flash, g, jsonify, make_response, redirect, render_template, request, url_for

from app.interactors import stat_page as sp
from app.web.auth import base_url, db, login_required, now
from app.web.present import fragment, is_htmx, page, wants_json

bp = Blueprint("stat_page", __name__)

PAGE = "partials/stat/page.html"
VIEW = "partials/stat/view.html"
BUILDER = "partials/embed/builder.html"
WIDGETS = {"name": "partials/stat/name.html", "unit": "partials/stat/unit.html",
           "public": "partials/stat/public.html", "direction": "partials/stat/direction.html"}


def _tz() -> str:
    return g.account.get("timezone") or "UTC"


# -- presenters ---------------------------------------------------------------------------------


def _history_restore() -> bool:
    # htmx asks for the whole page (with HX-Request: true) when a pushed URL is not in its history cache.
    return request.headers.get("HX-History-Restore-Request") == "true"


def present_view(view: dict):
    """htmx: only the timeframe view (the graph); browsers: the whole page; JSON: the data."""
    data = {k: v for k, v in view.items() if k not in ("svg", "timeframes")}
    ctx = dict(v=view, s=view["stat"], now=now(), title=view["stat"]["name"])
    if wants_json() or (is_htmx() and not _history_restore()):
        return page(VIEW, data=data, **ctx)
    ctx["eb"] = sp.embed_options(view["stat"], {}, base_url())   # the embed builder, at its defaults
    resp = make_response(render_template("layouts/app.html", partial=PAGE, **ctx))
    resp.vary.add("HX-Request")
    resp.vary.add("Accept")
    return resp


def present_widget(widget: str, result: dict):
    """A setting's form with its outcome (htmx swaps 4xx answers too: layouts/base.html's htmx-config);
    without JavaScript, back to the page with the outcome flashed."""
    s = result["stat"]
    if wants_json():
        return page(WIDGETS[widget], data={"stat": s, "error": result["error"]}, status=result["status"])
    if is_htmx():
        resp = fragment(WIDGETS[widget], status=result["status"], s=s, r=result, oob=True)
        if result["saved"]:
            resp.headers["HX-Trigger"] = "stat-changed"   # the graph and summary redraw (name, unit)
        return resp
    if result["error"]:
        flash(f"Not saved: {result['error']}.")
    return redirect(url_for("stat_page.show", stat_id=s["id"]), code=303)


def present_builder(result: dict, rotated: bool = False):
    """The embed builder (htmx: the fragment, whose preview and code the form swaps in); without
    JavaScript, a page of its own, or back to the stat's page after a new key."""
    if rotated and not (is_htmx() or wants_json()):
        flash("New embed key made: embeds with the old key no longer work.")
        return redirect(url_for("stat_page.show", stat_id=result["stat"]["id"]) + "#embed-builder", code=303)
    return page(BUILDER, data={"stat": result["stat"], "embed": result["embed"]}, title=result["stat"]["name"],
                s=result["stat"], eb=result["embed"], rotated=rotated, oob=is_htmx() and not rotated)


def _csv_value(v) -> str:
    return "" if v is None else repr(v) if isinstance(v, float) else str(v)


def present_download(data: dict, fmt: str):
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(("time", "iso_time", "value", "count"))
        for p in data["points"]:
            w.writerow((p["time"], p["iso_time"], _csv_value(p["value"]), p["count"]))
        resp = make_response(out.getvalue())
        resp.mimetype = "text/csv"
    else:
        resp = make_response(json.dumps({k: v for k, v in data.items() if k != "filename"}, indent=1) + "\n")
        resp.mimetype = "application/json"
    resp.headers["Content-Disposition"] = f'attachment; filename="{data["filename"]}.{fmt}"'
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


# -- handlers -------------------------------------------------------------------------------------


@bp.get("/stats/<int:stat_id>")
@login_required
def show(stat_id: int):
    fragment_only = is_htmx() and not _history_restore() and not wants_json()
    a = request.args
    view = sp.stat_view(db(), g.account["id"], stat_id, a.get("tf"), sp.parse_compare(a.get("compare")), now(), _tz(),
                        with_points=wants_json(), with_summary=not fragment_only, start=a.get("start"),
                        end=a.get("end"), width=a.get("w"))
    return present_view(view)


@bp.get("/stats/<int:stat_id>/data.csv")
@login_required
def data_csv(stat_id: int):
    a = request.args
    return present_download(sp.stat_download(db(), g.account["id"], stat_id, a.get("tf"), now(), _tz(),
                                             start=a.get("start"), end=a.get("end")), "csv")


@bp.get("/stats/<int:stat_id>/data.json")
@login_required
def data_json(stat_id: int):
    a = request.args
    return present_download(sp.stat_download(db(), g.account["id"], stat_id, a.get("tf"), now(), _tz(),
                                             start=a.get("start"), end=a.get("end")), "json")


@bp.post("/stats/<int:stat_id>/name")
@login_required
def rename(stat_id: int):
    return present_widget("name", sp.rename_stat(db(), g.account["id"], stat_id, request.form.get("name", "")))


@bp.post("/stats/<int:stat_id>/unit")
@login_required
def unit(stat_id: int):
    return present_widget("unit", sp.set_unit(db(), g.account["id"], stat_id, request.form.get("unit", "")))


@bp.post("/stats/<int:stat_id>/direction")
@login_required
def direction(stat_id: int):
    return present_widget("direction", sp.set_direction(db(), g.account["id"], stat_id, request.form.get("direction")))


@bp.post("/stats/<int:stat_id>/public")
@login_required
def public(stat_id: int):
    wanted = request.form.get("public", "").strip().lower() in ("1", "on", "true", "yes")
    return present_widget("public", sp.set_public(db(), g.account["id"], stat_id, wanted))


@bp.get("/stats/<int:stat_id>/embed")
@login_required
def embed_builder(stat_id: int):
    return present_builder(sp.embed_builder(db(), g.account["id"], stat_id, request.args, base_url()))


@bp.post("/stats/<int:stat_id>/embed-key")
@login_required
def rotate_embed_key(stat_id: int):
    return present_builder(sp.rotate_embed_key(db(), g.account["id"], stat_id, base_url()), rotated=True)


@bp.post("/stats/<int:stat_id>/delete")
@login_required
def delete(stat_id: int):
    gone = sp.delete_stat(db(), g.account["id"], stat_id, now())
    if wants_json():
        return jsonify({"status": 200, "msg": "moved to the trash", "id": gone["id"]})
    flash(f"Moved “{gone['name']}” to the trash. You can restore it there for 48 hours.")
    if is_htmx():
        resp = make_response("", 200)
        resp.headers["HX-Redirect"] = url_for("stats.index")
        return resp
    return redirect(url_for("stats.index"), code=303)
