"""waitress, as `python -m app serve` runs it."""

from __future__ import annotations

import logging


def serve(app, host: str, port: int, threads: int = 8) -> None:
    import waitress

    # waitress logs a line for every queued request under load; keep the warnings that matter.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="eyrie", channel_timeout=30,
                                    connection_limit=1000)
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
