"""The ingest service: StatHat's /ez, /c and /v, JSON bulk and a health check. No templates."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app import monitoring
from app.config import Config
from app.errors import EyrieError
from app.ingest import parsing, single
from app.ingest.fast import FastIngest
from app.interactors import health
from app.interactors.ingest import record_ez_json
from app.storage.db import Database

log = logging.getLogger("eyrie.ingest")


# StatHat's verbose success, byte for byte (jsonify would add a newline).
OK_BODY = b'{"status":200,"msg":"ok"}'


def reply(status: int, msg: str, **extra):
    body = {"status": status, "msg": msg, **extra}
    resp = jsonify(body)
    resp.status_code = status
    return resp


def create_ingest_app(config: Config, db: Database | None = None, clock=time.time) -> Flask:
    """clock: returns unix seconds; tests pin it."""
    app = Flask("eyrie.ingest")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False
    db = db or Database(config.database_url)
    app.extensions["eyrie.db"] = db
    limits = config.limits

    def ok(p: dict):
        if parsing.terse(p, default=config.terse_replies):
            resp = app.response_class(status=204)
            del resp.headers["Content-Type"]  # StatHat's 204 carries no body and no type
            return resp
        return app.response_class(OK_BODY, status=200, mimetype="application/json")

    @app.route("/ez", methods=["GET", "POST"])
    def ez():
        now = int(clock())
        if request.method == "POST" and parsing.is_json(request):
            # The body is read first (granian streams it): a slow upload must not count as a
            # request in flight, or every commit meanwhile would wait its gathering time for it.
            request.get_data(cache=True)
            with db.writer.arriving():  # the commit under way may wait a moment to take these points too
                ezkey, data = parsing.bulk(request)
                result = record_ez_json(db, ezkey, data, now, limits=limits)
            extra = {"rejected": result.rejected, "rejected_count": result.rejected_count} if result.rejected else {}
            monitoring.count("points", result.accepted)
            if result.accepted == 0 and result.rejected:
                return reply(400, "no valid items", multiple=0, **extra)
            return reply(200, "ok", multiple=result.accepted, **extra)
        single.ez(db, g.params, now, limits)
        return ok(g.params)

    @app.route("/c", methods=["GET", "POST"])
    def counter():
        single.counter(db, g.params, int(clock()), limits)
        return ok(g.params)

    @app.route("/v", methods=["GET", "POST"])
    def value():
        single.value(db, g.params, int(clock()), limits)
        return ok(g.params)

    @app.route("/healthz")
    def healthz():
        return jsonify(health.check(db))

    @app.route("/")
    def ping():
        # StatHat's CLI pings GET / on the post host and expects 200.
        return jsonify({"service": "eyrie-ingest", "status": 200})

    @app.before_request
    def parse_params():
        g.params = parsing.params(request) if request.path in ("/ez", "/c", "/v") else {}

    @app.errorhandler(EyrieError)
    def domain_error(exc: EyrieError):
        return reply(exc.status, exc.msg)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        msg = "request body too large" if exc.code == 413 else (exc.description or exc.name)
        return reply(exc.code or 500, msg if exc.code != 404 else "not found")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("ingest failed on %s", request.path)
        return reply(500, "internal error")

    if not _rate_limit(app, config):
        # Single posts skip Flask (fast.py); with a rate limit they stay on the limiter's views.
        app.wsgi_app = FastIngest(app.wsgi_app, db, limits=limits, terse_default=config.terse_replies,
                                  max_body=config.max_body_bytes, clock=clock, ok_body=OK_BODY)
    return app


def _rate_limit(app: Flask, config: Config) -> bool:
    """Optional per-key limit (EYRIE_INGEST_RATE_LIMIT requests per minute). Off by default."""
    if not config.ingest_rate_limit:
        return False
    from flask_limiter import Limiter

    def key() -> str:
        if "params" not in g:  # the limiter may run before our own before_request
            g.params = parsing.params(request)
        p = g.params
        return p.get("ezkey") or p.get("email") or p.get("ukey") or request.remote_addr or "-"

    limiter = Limiter(key, app=app, storage_uri="memory://", headers_enabled=True)
    limit = f"{config.ingest_rate_limit} per minute"
    for name in ("ez", "counter", "value"):
        app.view_functions[name] = limiter.limit(limit)(app.view_functions[name])

    @app.errorhandler(429)
    def too_many(exc):
        return reply(429, "rate limit exceeded")

    return True
