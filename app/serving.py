"""The HTTP servers `python -m app serve` runs: waitress (the default) or, with --server granian
(EYRIE_SERVER=granian), Granian.

Why a second server: under single posts, the traffic most StatHat clients send, waitress itself
is most of the ingest process's CPU (its pure-Python HTTP parsing and three thread hand-offs per
request: bench/README.md, issue 9). Granian parses HTTP in Rust and calls the same WSGI app from
a few Python threads; the app, its replies and "a success reply means committed" are the same.
It forks its worker process, so the app is built there (granian_app), never in the parent.
"""

from __future__ import annotations

import logging
import os

SERVERS = ("waitress", "granian")  # the first is the default
THREADS = {"waitress": 8, "granian": 4}  # Python threads serving requests, unless --threads says
ROLE_ENV = "EYRIE_SERVE_ROLE"  # how the role reaches granian's forked worker


def serve(app, host: str, port: int, threads: int = 8, max_body: int = 4 * 1024 * 1024) -> None:
    """waitress. max_body: the app's own limit; waitress would otherwise take up to 1 GB of a body
    (spooled to a temporary file) before the app could refuse it, so it refuses a larger
    Content-Length itself, before reading the body."""
    import waitress

    # waitress logs a line for every queued request under load; keep the warnings that matter.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="eyrie", channel_timeout=30,
                                    connection_limit=1000, max_request_body_size=max_body + 1)
    _keep_alive_after_204(server)
    server.run()


def _keep_alive_after_204(server) -> None:
    """waitress 3.0 closes every HTTP/1.1 response that has no Content-Length, even a 204, which has
    no body by definition and must not carry a Content-Length. A single-stat post answers 204 when
    asked (vb=0 or EYRIE_TERSE_REPLIES), so a keep-alive client paid a new TCP connection per post.
    Keep the connection for bodiless answers; every other reason to close (Connection: close,
    HTTP/1.0, errors) still closes."""
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer
    from waitress.task import WSGITask

    def _no_close() -> None:
        pass

    class Task(WSGITask):
        def build_response_header(self):
            if (self.has_body or self.version != "1.1" or self.close_on_finish
                    or self.request.headers.get("CONNECTION", "").lower() == "close"):
                return super().build_response_header()
            self.set_close_on_finish = _no_close  # only the missing Content-Length of a 204/304 gets here
            try:
                return super().build_response_header()
            finally:
                del self.set_close_on_finish

    class Channel(HTTPChannel):
        task_class = Task

    servers = [server] if isinstance(server, BaseWSGIServer) else list(getattr(server, "map", {}).values())
    for s in servers:
        if isinstance(s, BaseWSGIServer):
            s.channel_class = Channel


def serve_granian(role: str, host: str, port: int, threads: int = 4) -> None:
    """Granian, one worker process, `threads` Python threads calling the app (WSGI).

    Bodies are streamed to the app as it reads them (an oversized one gets the app's 413 after a
    few KB), keep-alive is on, and the server's access log is off like waitress's."""
    from granian import Granian
    from granian.constants import Interfaces

    os.environ[ROLE_ENV] = role
    Granian("app.serving:granian_app", address=host, port=port, interface=Interfaces.WSGI, workers=1,
            blocking_threads=max(1, threads), factory=True, log_access=False, websockets=False,
            respawn_failed_workers=True).serve()


def granian_app():
    """The app for granian's worker: built after the fork, so its database connections and writer
    thread are the worker's own."""
    from app.wsgi import create_app

    return create_app(os.environ.get(ROLE_ENV, "all"))
