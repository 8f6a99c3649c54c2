"""The web service: pages, htmx fragments, embeds and the export API."""

from __future__ import annotations

import logging
import time

from flask import Flask, jsonify, request
from jinja2 import FileSystemLoader, PrefixLoader
from werkzeug.exceptions import HTTPException

from app.config import ROOT, Config
from app.errors import EyrieError
from app.interactors import health
from app.storage.db import Database

log = logging.getLogger("eyrie.web")


def create_web_app(config: Config, db: Database | None = None, clock=time.time) -> Flask:
    """clock: returns unix seconds; tests pin it."""
    app = Flask("eyrie.web", static_folder=str(ROOT / "static"), static_url_path="/static")
    config = config.with_secret()
    app.config.update(SECRET_KEY=config.secret_key, MAX_CONTENT_LENGTH=config.max_body_bytes)
    app.json.sort_keys = False
    # Templates are named with their folder ("layouts/base.html", "partials/stats/list.html"), so a
    # page never silently picks up a same-named file from elsewhere.
    app.jinja_loader = PrefixLoader({
        "layouts": FileSystemLoader(str(ROOT / "layouts")),
        "partials": FileSystemLoader(str(ROOT / "partials")),
    })
    db = db or Database(config.database_url)
    app.extensions["eyrie.db"] = db
    app.extensions["eyrie.config"] = config
    app.extensions["eyrie.clock"] = clock

    from app.web import export_api, pages

    app.register_blueprint(export_api.bp)
    app.register_blueprint(pages.bp)

    @app.route("/healthz")
    def healthz():
        return jsonify(health.check(db))

    @app.errorhandler(EyrieError)
    def domain_error(exc: EyrieError):
        return _error(exc.status, exc.msg)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("web request failed on %s", request.path)
        return _error(500, "internal error")

    return app


def _error(status: int, msg: str):
    resp = jsonify({"status": status, "msg": msg})
    resp.status_code = status
    return resp
