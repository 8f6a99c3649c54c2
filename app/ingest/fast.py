"""The single-post fast path: /ez form posts, /c and /v answered in plain WSGI, before Flask.

Why: a single post is the traffic most StatHat clients send, and profiling the ingest process
under it (bench/README.md) put about a third of its CPU in Flask's per-request machinery (request
context, routing, hooks, the Response object) around one interactor call. Here the same
parameters go to the same functions (single.py) and the same replies come back; anything this
path does not handle exactly (JSON bulk, multipart, a chunked or oversized body, other methods,
the optional rate limit) goes on to the Flask app unchanged.
"""

from __future__ import annotations

import json
import logging

from werkzeug.http import HTTP_STATUS_CODES

from app.errors import EyrieError
from app.ingest import parsing, single

log = logging.getLogger("eyrie.ingest")

OK_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(b'{"status":200,"msg":"ok"}')))]


def error_body(status: int, msg: str) -> bytes:
    """Byte for byte what Flask's jsonify gives the same reply (compact, ASCII, a newline)."""
    return (json.dumps({"status": status, "msg": msg}, separators=(",", ":")) + "\n").encode()


class FastIngest:
    def __init__(self, flask_wsgi, db, *, limits, terse_default: bool, max_body: int, clock, ok_body: bytes):
        self.next = flask_wsgi
        self.db = db
        self.limits = limits
        self.terse_default = terse_default
        self.max_body = max_body
        self.clock = clock
        self.ok_body = ok_body

    def __call__(self, environ, start_response):
        handler = single.BY_PATH.get(environ.get("PATH_INFO", ""))
        body = self._body(environ) if handler else None
        if body is None:
            return self.next(environ, start_response)
        try:
            with self.db.writer.arriving():  # the commit under way may wait a moment to take this post too
                p = parsing.merge_params(environ.get("QUERY_STRING", "").encode("latin-1"), body)
                handler(self.db, p, int(self.clock()), self.limits)
        except EyrieError as exc:
            return self._reply(start_response, exc.status, exc.msg)
        except Exception:
            log.exception("ingest failed on %s", environ.get("PATH_INFO"))
            return self._reply(start_response, 500, "internal error")
        if parsing.terse(p, default=self.terse_default):
            start_response("204 NO CONTENT", [])
            return []
        start_response("200 OK", list(OK_HEADERS))
        return [self.ok_body]

    def _body(self, environ) -> bytes | None:
        """The urlencoded body of a GET or POST this path answers, or None: Flask's turn."""
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            return b""
        if method != "POST" or environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if mimetype.endswith("json") or mimetype == "multipart/form-data":
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length < 0 or length > self.max_body:
            return None
        return environ["wsgi.input"].read(length) if length else b""

    @staticmethod
    def _reply(start_response, status: int, msg: str):
        body = error_body(status, msg)
        phrase = HTTP_STATUS_CODES.get(status, "unknown").upper()   # as werkzeug spells it
        start_response(f"{status} {phrase}", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body)))])
        return [body]
