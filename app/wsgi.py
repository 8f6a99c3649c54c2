"""WSGI entry points: one per role, and `all` = both apps behind one port."""

from __future__ import annotations

from app.config import Config
from app.storage.db import Database

INGEST_PATHS = frozenset(("/ez", "/c", "/v"))


class Router:
    """Send StatHat's ingest paths to the ingest app and everything else to the web app.

    The two apps never import each other; this is the only place that knows both."""

    def __init__(self, web, ingest):
        self.web = web
        self.ingest = ingest

    def __call__(self, environ, start_response):
        app = self.ingest if environ.get("PATH_INFO", "") in INGEST_PATHS else self.web
        return app(environ, start_response)


def create_app(role: str, config: Config | None = None, db: Database | None = None):
    from app.monitoring.monitor import install

    config = config or Config.from_env()
    db = db or Database(config.database_url)
    if role == "web":
        # Only the web role reads on replicas; ingest and the worker's claims stay on the primary.
        from app.storage.replicas import routed

        db = routed(db, config.database_read_urls)
    return behind_proxies(install(_create(role, config, db), role, config, db), config.proxy_hops)


def _create(role: str, config: Config, db: Database):
    if role == "ingest":
        from app.ingest import create_ingest_app

        return create_ingest_app(config, db)
    from app.web import create_web_app

    if role == "web":
        return create_web_app(config, db)
    if role == "all":
        from app.ingest import create_ingest_app

        return Router(create_web_app(config, db), create_ingest_app(config, db))
    raise ValueError(f"unknown role {role!r}: use ingest, web or all")


def behind_proxies(app, hops: int):
    """Believe X-Forwarded-For/-Proto/-Host from `hops` proxies (nginx = 1), and only then: without
    EYRIE_PROXY_HOPS any client could claim another address or https. The proxies must be the only
    way in (waitress listens on loopback or a private address)."""
    if hops <= 0:
        return app
    from werkzeug.middleware.proxy_fix import ProxyFix

    return ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
