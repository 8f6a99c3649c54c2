"""Sign up, log in, log out, password reset and settings."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlparse
from zoneinfo import available_timezones

from flask import Blueprint, flash, g, redirect, request, session, url_for

from app.errors import EyrieError
from app.interactors import accounts as acc
from app.rollups import zone
from app.web.auth import base_url, config, db, login_required, now, sign_in
from app.web.present import page

bp = Blueprint("accounts", __name__)

@cache
def _zones() -> tuple[str, ...]:
    return ("UTC", *sorted(available_timezones() - {"UTC"}))


def all_timezones() -> list[str]:
    """Every IANA zone this system knows, UTC first (the signup form preselects the browser's own)."""
    return list(_zones())


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect to another host.
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return url_for("stats.index")
    return target


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    error, form = None, {}
    if request.method == "POST":
        form = {"email": request.form.get("email", ""), "timezone": request.form.get("timezone", "UTC")}
        try:
            created = acc.create_account(db(), form["email"], request.form.get("password", ""), now(),
                                         form["timezone"] or "UTC")
            sign_in(acc.get_account(db(), created.id))
            return redirect(url_for("stats.index"))
        except EyrieError as exc:
            error = exc
    return page("partials/accounts/signup.html", layout="layouts/base.html", title="Sign up", error=error,
                form=form, timezones=all_timezones(), status=400 if error else 200)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            account = acc.authenticate(db(), request.form.get("email", ""), request.form.get("password", ""))
            sign_in(account)
            return redirect(_safe_next(request.args.get("next")))
        except EyrieError as exc:
            error = exc
    return page("partials/accounts/login.html", layout="layouts/base.html", title="Log in", error=error,
                email=request.form.get("email", ""), status=403 if error else 200)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    sent = False
    if request.method == "POST":
        acc.request_password_reset(db(), config(), request.form.get("email", ""), now(), base_url())
        sent = True
    return page("partials/accounts/reset_request.html", layout="layouts/base.html", title="Reset password",
                sent=sent)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    error = None
    try:
        acc.check_reset_token(db(), config().secret_key, token, now())
        if request.method == "POST":
            if request.form.get("password") != request.form.get("confirm"):
                raise acc.Invalid("the two passwords differ")
            account = acc.reset_password(db(), config().secret_key, token, request.form.get("password", ""), now())
            sign_in(acc.get_account(db(), account["id"]))
            flash("Your password was changed.")
            return redirect(url_for("stats.index"))
    except EyrieError as exc:
        error = exc
    return page("partials/accounts/reset.html", layout="layouts/base.html", title="New password", error=error,
                token=token, status=400 if error else 200)


# -- settings ---------------------------------------------------------------------------------


def _settings(error=None, new_token=None, status=200, saved: str = ""):
    view = acc.settings_view(db(), g.account["id"])
    data = {k: v for k, v in view.items() if k != "tokens"}
    data["tokens"] = [{"id": t["id"], "name": t["name"], "created_at": t["created_at"]} for t in view["tokens"]]
    return page("partials/accounts/settings.html", title="Settings", data=data, s=view, error=error,
                new_token=new_token, saved=saved, timezones=_with(all_timezones(), view["timezone"]),
                status=status)


def _with(zones: list[str], current: str) -> list[str]:
    return zones if current in zones else [current, *zones]


@bp.get("/settings")
@login_required
def settings():
    return _settings()


def _settings_action(fn):
    """Run one settings change; answer the settings page (or its partial) with any error in it."""
    try:
        result = fn()
    except EyrieError as exc:
        return _settings(error=exc, status=exc.status)
    return _settings(new_token=result if isinstance(result, str) else None)


@bp.post("/settings/ezkeys")
@login_required
def add_ezkey():
    return _settings_action(lambda: acc.add_ezkey(db(), g.account["id"], request.form.get("ezkey", ""), now()))


@bp.post("/settings/ezkeys/<int:key_id>/delete")
@login_required
def delete_ezkey(key_id: int):
    return _settings_action(lambda: acc.delete_ezkey(db(), g.account["id"], key_id))


@bp.post("/settings/tokens")
@login_required
def create_token():
    return _settings_action(lambda: acc.create_token(db(), g.account["id"], request.form.get("name", ""), now()))


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    return _settings_action(lambda: acc.revoke_token(db(), g.account["id"], token_id))


@bp.post("/settings/ukey")
@login_required
def rotate_ukey():
    return _settings_action(lambda: acc.rotate_ukey(db(), g.account["id"]) and None)


@bp.post("/settings/metrics-token")
@login_required
def rotate_metrics_token():
    from app.interactors.listeners import rotate_metrics_token

    return _settings_action(lambda: rotate_metrics_token(db(), g.account["id"]) and None)


@bp.post("/settings/password")
@login_required
def change_password():
    try:
        account = acc.change_password(db(), g.account["id"], request.form.get("current_password", ""),
                                      request.form.get("new_password", ""), request.form.get("confirm", ""))
    except EyrieError as exc:
        return _settings(error=exc, status=exc.status)
    sign_in(account)   # this session stays signed in; every other one is signed out by the new hash
    return _settings(saved="Your password was changed. Other sessions are signed out.")


@bp.post("/settings/preferences")
@login_required
def preferences():
    tz = request.form.get("timezone") or None
    if tz:
        try:
            zone(tz)
        except Exception:
            return _settings(error=acc.Invalid(f"unknown timezone {tz!r}"), status=400)
    return _settings_action(lambda: acc.update_preferences(
        db(), g.account["id"], timezone=tz, ez_enabled=request.form.get("ez_enabled") == "on",
        new_stat_email=request.form.get("new_stat_email") == "on"))

