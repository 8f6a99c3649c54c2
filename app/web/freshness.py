"""Read-your-writes for the web role when it reads from replicas (app.storage.replicas).

After a request that wrote, the primary's GTID position goes into a short-lived cookie; the
browser's next requests make their replica reads wait for that position. The token APIs (/x/...)
have no cookie and may read what another process (ingest) just wrote: they wait for the primary's
current position instead."""

from __future__ import annotations

from flask import Flask, request

from app.storage import replicas

COOKIE = "eyrie_gtid"
# Long enough for a replica to catch up many times over; after that the wait is free anyway.
COOKIE_SECONDS = 60


def install(app: Flask) -> None:
    @app.before_request
    def _begin():
        replicas.begin_request(wait_for=request.cookies.get(COOKIE), fresh=request.path.startswith("/x/"))

    @app.after_request
    def _remember(resp):
        state = replicas._request.get()
        if state is not None and state.wrote and not request.path.startswith("/x/"):
            resp.set_cookie(COOKIE, state.wrote, max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                            secure=app.config.get("SESSION_COOKIE_SECURE", False))
        return resp

    @app.teardown_request
    def _end(_exc):
        replicas.end_request()
