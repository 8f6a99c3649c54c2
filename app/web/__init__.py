"""The web service: pages, htmx fragments, embeds and the export API."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Flask, g, jsonify, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import FileSystemLoader, PrefixLoader, TemplateError, TemplateSyntaxError
from werkzeug.exceptions import HTTPException

from app.config import ROOT, Config
from app.errors import EyrieError
from app.interactors import health
from app.storage.db import Database
from app.web import filters
from app.web.headers import apply_headers
from app.web.json_provider import MsgspecJSONProvider
from app.web.sessions import PublicAwareSessionInterface

log = logging.getLogger("eyrie.web")
HTMX = "htmx-2.0.11.min.js"


def create_web_app(config: Config, db: Database | None = None, clock=time.time) -> Flask:
    """clock: returns unix seconds; tests pin it."""
    app = Flask("eyrie.web", static_folder=str(ROOT / "static"), static_url_path="/static")
    config = config.with_secret()
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.base_url.startswith("https://"),
        SESSION_COOKIE_NAME="eyrie_session",
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead: a tab left open overnight still works
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        TEMPLATES_AUTO_RELOAD=config.dev,
    )
    app.json = MsgspecJSONProvider(app)
    app.json.sort_keys = False
    # Templates are named with their folder ("layouts/base.html", "partials/stats/list.html"), so a
    # page never silently picks up a same-named file from elsewhere.
    app.jinja_loader = PrefixLoader({
        "layouts": FileSystemLoader(str(ROOT / "layouts")),
        "partials": FileSystemLoader(str(ROOT / "partials")),
    })
    filters.register(app)
    from app.web import static_manifest

    static_manifest.install(app, ROOT / "static")
    from app.humane_time import when

    app.jinja_env.filters["when"] = when
    db = db or Database(config.database_url)
    app.extensions["eyrie.db"] = db
    app.extensions["eyrie.config"] = config
    app.extensions["eyrie.clock"] = clock

    app.session_interface = PublicAwareSessionInterface()
    if hasattr(db, "replicas"):  # reads on replicas: keep each user's own writes visible to them
        from app.web import freshness

        freshness.install(app)
    csrf = CSRFProtect(app)
    for module in _blueprint_modules():
        app.register_blueprint(module.bp)
        if getattr(module, "CSRF_EXEMPT", False):
            csrf.exempt(module.bp)  # token-in-path APIs and session-less embeds: no cookie to forge with
    from app.web.ratelimit import apply_limits

    apply_limits(app)
    apply_headers(app, https=config.base_url.startswith("https://"))

    from app.web.auth import base_url

    @app.context_processor
    def chrome():
        return {"htmx_js": HTMX, "account": g.get("account"), "base_url": base_url(), "dev": config.dev,
                "live_refresh": config.live_refresh,
                "url_endpoints": app.view_functions.keys()}

    @app.route("/healthz")
    def healthz():
        return jsonify(health.check(db))

    @app.errorhandler(EyrieError)
    def domain_error(exc: EyrieError):
        return error_response(exc.status, exc.msg)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, "This form has expired or did not come from Eyrie. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        msg = {404: "There is nothing here.", 405: "That method is not allowed here.",
               413: "That request was too large.", 429: "Too many attempts: wait a minute and try again."}
        return error_response(exc.code or 500, msg.get(exc.code or 500, exc.description or exc.name))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("web request failed on %s", request.path)
        if config.dev and isinstance(exc, TemplateError):
            return dev_template_error(exc)
        return error_response(500, "Something went wrong on our side. It has been logged.")

    if not hasattr(db, "replicas"):
        # The export API's data read skips Flask (fast_export.py). With replicas it stays on Flask,
        # whose hooks keep each user's own writes visible to them.
        from app.web.fast_export import FastExport

        app.wsgi_app = FastExport(app, db, clock)
    return app


# Each area of the web app is one module with one blueprint `bp`.
BLUEPRINTS = ("accounts", "stats", "stat_page", "analysis", "docs", "dashboards", "alerts", "reports", "embeds",
              "alerts_api", "export_api", "graphite_api")


def _blueprint_modules():
    import importlib
    import importlib.util

    for name in BLUEPRINTS:
        if importlib.util.find_spec(f"app.web.{name}") is not None:
            yield importlib.import_module(f"app.web.{name}")


def dev_template_error(exc: TemplateError):
    """Dev server: show a broken template in the page (it reloads itself once the file is fixed)."""
    from markupsafe import escape

    where = ""
    if isinstance(exc, TemplateSyntaxError):
        where = f"{exc.filename or exc.name}, line {exc.lineno}"
    body = (f"<!doctype html><title>Template error</title><link rel=stylesheet href=/static/app.css>"
            f"<main class=medium><h1>Template error</h1><p class=muted>{escape(where)}</p>"
            f"<pre>{escape(type(exc).__name__)}: {escape(str(exc))}</pre>"
            f"<p class=muted>Fix the file and save: this page reloads itself.</p></main>"
            f"<script src=/static/dev-reload.js data-version={_dev_version()}></script>")
    print(f"\n*** template error: {where}: {exc}\n", flush=True)
    return body, 500


def _dev_version() -> int:
    from app.web.dev import hub

    return hub.version


def error_response(status: int, msg: str):
    """JSON for API paths and JSON clients, a bare fragment for htmx, otherwise an error page."""
    from flask import make_response, render_template

    from app.web.present import is_htmx, wants_json

    if request.path.startswith("/x/") or wants_json():
        resp = jsonify({"status": status, "msg": msg})
    elif is_htmx():
        resp = make_response(render_template("partials/errors/inline.html", status=status, msg=msg))
        # htmx does not swap 4xx/5xx by default: retarget the message to the page's flash area.
        resp.headers["HX-Retarget"] = "#flash"
        resp.headers["HX-Reswap"] = "innerHTML"
    else:
        resp = make_response(render_template("layouts/bare.html", partial="partials/errors/error.html",
                                             title=f"{status}", status=status, msg=msg))
    resp.status_code = status
    resp.vary.add("HX-Request")
    return resp
