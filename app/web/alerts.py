"""Alerts in the UI: the /alerts overview, a stat's alerts panel (an htmx fragment the stat page
loads), and the one-click delete link of the "a new stat was created" mail."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, url_for

from app.errors import EyrieError, Invalid
from app.interactors import alerts as al
from app.interactors import reports as rp
from app.interactors.stats import parse_stat_id
from app.web.auth import config, db, login_required, now
from app.web.present import is_htmx, page

bp = Blueprint("alerts", __name__)
FORM_FIELDS = ("kind", "time_window", "operator", "threshold", "percentage", "time_delta", "reminder_hours", "email",
               "webhook_url")


@bp.get("/alerts")
@login_required
def index():
    return _index()


def _index(status: int = 200, error=None, form=None, saved: str = ""):
    view = al.alerts_page(db(), g.account["id"])
    return page("partials/alerts/index.html", title="Alerts", data=_json(view), view=view, now=now(),
                tz=g.account["timezone"], status=status, error=error, form=form or {}, saved=saved)


def _form() -> dict:
    form = {k: request.form.get(k) for k in FORM_FIELDS}
    form["email"] = "on" if request.form.get("email") else "off"
    return form


def _after(stat_id: int, saved: str = ""):
    """The stat's panel (when the form came from it) or the alerts page; a redirect without htmx."""
    if request.form.get("panel"):
        return _panel(stat_id) if is_htmx() else redirect(url_for("alerts.stat_panel", stat_id=stat_id), code=303)
    return _index(saved=saved) if is_htmx() else redirect(url_for("alerts.index"), code=303)


def _panel(stat_id: int, status: int = 200, error=None, form=None):
    view = al.stat_panel(db(), g.account["id"], stat_id)
    return page("partials/alerts/stat_panel.html", title=f"Alerts · {view['stat']['name']}", data=_json(view),
                view=view, error=error, form=form or {}, now=now(), tz=g.account["timezone"], status=status)


@bp.get("/stats/<int:stat_id>/alerts")
@login_required
def stat_panel(stat_id: int):
    return _panel(stat_id)


@bp.post("/stats/<int:stat_id>/alerts")
@login_required
def create(stat_id: int):
    form = _form()
    try:
        al.create_alert(db(), g.account["id"], stat_id, form, now(), allow_private=config().webhook_allow_private)
    except EyrieError as exc:
        if exc.status == 404:
            raise
        return _panel(stat_id, status=exc.status, error=exc, form=form)
    if not is_htmx():
        return redirect(url_for("alerts.stat_panel", stat_id=stat_id), code=303)
    return _panel(stat_id)


@bp.post("/alerts")
@login_required
def create_any():
    """The alerts page's own form: the stat is a field of it."""
    form = _form()
    form["stat_id"] = request.form.get("stat_id", "")
    try:
        stat_id = parse_stat_id(form["stat_id"])
        al.create_alert(db(), g.account["id"], stat_id, form, now())
    except EyrieError as exc:
        if exc.status == 404:
            exc = Invalid("pick one of your stats", field="stat_id")
        return _index(status=400, error=exc, form=form)
    return _index(saved="Alert added.") if is_htmx() else redirect(url_for("alerts.index"), code=303)


@bp.get("/alerts/<int:alert_id>/edit")
@login_required
def edit(alert_id: int):
    view = al.alert_form(db(), g.account["id"], alert_id)
    return page("partials/alerts/edit.html", title="Edit alert", data={"alert": _json({"alerts": [view["alert"]],
                "events": []})["alerts"][0]}, view=view, htmx=is_htmx(), panel=bool(request.args.get("panel")))


@bp.post("/alerts/<int:alert_id>")
@login_required
def update(alert_id: int):
    form = _form()
    try:
        alert = al.update_alert(db(), g.account["id"], alert_id, form, now())
    except EyrieError as exc:
        if exc.status == 404:
            raise
        view = al.alert_form(db(), g.account["id"], alert_id)
        resp = page("partials/alerts/edit.html", title="Edit alert", view=view, form=form, error=exc, htmx=is_htmx(),
                    panel=bool(request.form.get("panel")), status=exc.status)
        # The form (not the whole page or panel it was aimed at) comes back, its bad field marked.
        resp.headers["HX-Retarget"] = f"#alert-edit-{alert_id}"
        resp.headers["HX-Reswap"] = "outerHTML"
        return resp
    return _after(alert["stat_id"], saved="Alert saved.")


@bp.post("/alerts/<int:alert_id>/pause")
@login_required
def pause(alert_id: int):
    paused = request.form.get("paused", "1").strip().lower() in ("1", "on", "true", "yes")
    alert = al.pause_alert(db(), g.account["id"], alert_id, paused, now())
    return _after(alert["stat_id"], saved="Alert paused." if paused else "Alert resumed.")


@bp.post("/alerts/<int:alert_id>/delete")
@login_required
def delete(alert_id: int):
    # The stat's panel asks for itself back; the overview page gets the overview.
    return _after(al.delete_alert(db(), g.account["id"], alert_id))


# The link in the "a new stat was created" mail: no login, the signed token is the authorization.
# GET only shows a confirm button (mail scanners follow links); the POST carries a CSRF token too.
# (Named public_*: the security sweep's list of pages that need no login.)
@bp.route("/new-stat/<token>", methods=["GET", "POST"])
def public_new_stat(token: str):
    if request.method == "POST":
        stat = rp.delete_stat_by_link(db(), config().secret_key, token, now())
    else:
        stat = rp.stat_for_delete_link(db(), config().secret_key, token)
    return page("partials/alerts/new_stat_delete.html", layout="layouts/bare.html", title="Delete a new stat",
                data=stat, stat=stat, token=token, done=request.method == "POST")


def _json(view: dict) -> dict:
    """The JSON answer: alerts and events without secrets."""
    hide = {"webhook_secret"}
    return {"alerts": [{k: v for k, v in a.items() if k not in hide} for a in view["alerts"]],
            "events": view.get("events", [])}
