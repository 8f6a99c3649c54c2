"""The export API's data read, `GET /x/<token>/data/<ids>`, answered in plain WSGI before Flask.

Why: it is what scripts and dashboards poll, and on an idle machine a web answer's fixed cost
(Flask's contexts, routing, hooks, the Response object: 160-180 µs in process for a static file,
a 404 or this read) is most of its time, and grows 3-4x after a pause (bench/README.md, twelfth
session). Here the same interactor call gives the same JSON bytes, and the security headers are the
ones the app's own Talisman sets on an answer of this path, built once for each case they depend
on. Anything this path does not handle exactly goes on to the Flask app unchanged: another method
or path, a cookie (a session, or read-your-writes freshness on replicas), a path Flask would
redirect (`//`), a path or query with escapes or non-ASCII bytes. What the interactor raises (a
refusal, the database away) goes to Flask too, which raises it again where its view would have
(export_api's before_request) and answers as it always has, without a second read.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from app.interactors import export

RAISED = "eyrie.fast_export.raised"  # the environ key of what the interactor raised here


class FastExport:
    def __init__(self, app, db, clock):
        self.app = app             # the Flask app: builds the headers once, answers the rest
        self.next = app.wsgi_app
        self.db = db
        self.clock = clock
        self._security: dict[tuple[str, bool], list[tuple[str, str]]] = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if (not path.startswith("/x/") or environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ
                or "//" in path or not path.isascii()):
            return self.next(environ, start_response)
        _, _, token, what, ids = (path.split("/", 4) + ["", ""])[:5]
        query = environ.get("QUERY_STRING", "")
        if what != "data" or not token or not ids or "%" in query or not query.isascii():
            return self.next(environ, start_response)
        args: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            args.setdefault(key, value)  # the first of a repeated key, as request.args.get
        try:
            doc = export.datasets(self.db, token, ids.split("/"), int(self.clock()), t=args.get("t"),
                                  start=args.get("start"), summary=args.get("summary"))
        except Exception as exc:  # Flask answers it, as if its view had raised it (export_api re-raises it)
            environ[RAISED] = exc
            return self.next(environ, start_response)
        body = self.app.json.answer_body(doc)
        if body is None:  # a layout or value msgspec does not write: Flask's encoder, through Flask
            return self.next(environ, start_response)
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        secure = (environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_X_FORWARDED_PROTO") == "https")
        start_response("200 OK", headers + self._security_headers(secure))
        return [body]

    def _security_headers(self, secure: tuple[str, bool]) -> list[tuple[str, str]]:
        """What the app's after-request hooks add to a JSON answer of this path (Talisman's headers),
        taken from the app itself once for each of what they depend on: the request's scheme, and
        whether it says X-Forwarded-Proto: https (Talisman's two tests for sending HSTS)."""
        built = self._security.get(secure)
        if built is None:
            app = self.app
            scheme, forwarded_https = secure
            with app.test_request_context("/x/token/data/1", base_url=f"{scheme}://eyrie.invalid",
                                          headers={"X-Forwarded-Proto": "https"} if forwarded_https else {}):
                resp = app.process_response(app.response_class(b"", mimetype="application/json"))
            built = self._security[secure] = [(k, v) for k, v in resp.headers.items()
                                              if k not in ("Content-Type", "Content-Length")]
        return built
