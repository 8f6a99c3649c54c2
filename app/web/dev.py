"""Development-only routes, registered by dev_server.py and never by `python -m app serve`:
live reload of the open page when a template or static file changes, and the mail outbox."""

from __future__ import annotations

import re
import threading
import time
import uuid

from flask import Blueprint, Response, abort, current_app, request

from app.mail import read_outbox
from app.web.present import page

bp = Blueprint("dev", __name__, url_prefix="/dev")
BOOT_ID = uuid.uuid4().hex  # a new process (after a Python change) makes open pages reload too


class ReloadHub:
    """Counts file changes; SSE streams wait on it."""

    def __init__(self):
        self.version = 0
        self._cond = threading.Condition()

    def changed(self, path: str = "") -> None:
        with self._cond:
            self.version += 1
            self.last_path = path
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self.version != seen, timeout=timeout)
            return self.version


hub = ReloadHub()


@bp.app_context_processor
def dev_version():
    return {"dev_version": hub.version}


@bp.get("/reload")
def reload_stream():
    # `since` is the version the page was rendered at: a change made while the page was still
    # loading (before this stream connected) reloads it at once.
    since = request.args.get("since", type=int)

    def events():
        seen = hub.version if since is None else since
        yield f"event: hello\ndata: {BOOT_ID}\n\n"
        deadline = time.monotonic() + 300  # the browser reconnects; no stream lives for ever
        while time.monotonic() < deadline:
            v = hub.wait(seen, timeout=15)
            if v != seen:
                seen = v
                yield f"event: reload\ndata: {v}\n\n"
            else:
                yield ": ping\n\n"

    return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


@bp.get("/outbox")
def outbox():
    """Mail the dev server sent (no EYRIE_SMTP_URL): newest first, by subject and time."""
    mails = [_summary(name, msg) for name, msg in _outbox()[:100]]
    return page("partials/dev/outbox.html", layout="layouts/base.html", title="Outbox", data=mails, mails=mails)


@bp.get("/outbox/<name>")
def outbox_mail(name: str):
    msg = _find(name)
    mail = _summary(name, msg)
    text = msg.get_body(("plain",))
    mail["text"] = text.get_content() if text else ""
    mail["has_html"] = msg.get_body(("html",)) is not None
    return page("partials/dev/outbox.html", layout="layouts/base.html", title=mail["subject"] or "Mail", data=mail,
                mails=[], mail=mail)


@bp.get("/outbox/<name>/html")
def outbox_html(name: str):
    """The HTML part as a mail client shows it, its inline images (cid:) made data: URLs. Served into a
    sandboxed iframe with a CSP that allows no script."""
    import base64

    msg = _find(name)
    part = msg.get_body(("html",))
    if part is None:
        abort(404)
    html = part.get_content()
    for p in msg.walk():
        cid = (p["Content-ID"] or "").strip("<>")
        if cid and p.get_content_maintype() == "image":
            data = base64.b64encode(p.get_content()).decode()
            html = html.replace(f"cid:{cid}", f"data:{p.get_content_type()};base64,{data}")
    return Response(html, mimetype="text/html", headers={
        "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox",
        "X-Content-Type-Options": "nosniff"})


def _outbox():
    return read_outbox(current_app.extensions["eyrie.config"].var_dir)


_NAME = re.compile(r"^[0-9]{1,16}-[0-9a-f]{8}\.eml$")


def _find(name: str):
    if not _NAME.fullmatch(name):
        abort(404)
    for n, msg in _outbox():
        if n == name:
            return msg
    abort(404)


def _summary(name: str, msg) -> dict:
    ms = name.split("-")[0]
    return {"name": name, "to": msg["To"], "subject": msg["Subject"] or "(no subject)",
            "sent_at": int(ms) // 1000 if ms.isdigit() else None}


def watch(paths: list[str]):
    """Start a watchdog observer that reports template and static changes to the hub."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):
            if event.is_directory or event.event_type not in ("modified", "created", "moved", "closed"):
                return
            path = str(getattr(event, "dest_path", "") or event.src_path)
            if path.endswith((".html", ".css", ".js", ".svg", ".txt")):
                hub.changed(path)

    observer = Observer()
    for p in paths:
        observer.schedule(Handler(), p, recursive=True)
    observer.daemon = True
    observer.start()
    return observer
