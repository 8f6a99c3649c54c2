"""Outgoing mail: SMTP from EYRIE_SMTP_URL, or .eml files in var/outbox when none is set."""

from __future__ import annotations

import logging
import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as _wait
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlparse


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    # (content id, PNG bytes) pairs shown inline in the HTML part as <img src="cid:...">
    images: list[tuple[str, bytes]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def build_message(mail: Mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(domain="eyrie")
    for k, v in mail.headers.items():
        msg[k] = v
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
        html_part = msg.get_payload()[-1]
        for cid, png in mail.images:
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    return msg


log = logging.getLogger("eyrie.mail")
_sender: ThreadPoolExecutor | None = None
_pending: set[Future] = set()
_lock = threading.Lock()


def send_soon(config, make: Callable[[], Mail]) -> None:
    """Render (make()) and send the mail on the process's mail thread, not the request's: the
    password-reset form must answer in the same time whether or not there is a mail to send, or
    its timing tells who has an account; and a slow or failing SMTP server must not hold up or
    fail the reply (the failure is logged)."""
    global _sender
    with _lock:
        if _sender is None:
            _sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eyrie-mail")
        future = _sender.submit(_send_logged, config, make)
        _pending.add(future)
    future.add_done_callback(_done)


def _done(future: Future) -> None:
    with _lock:
        _pending.discard(future)


def _send_logged(config, make: Callable[[], Mail]) -> None:
    try:
        send(config, make())
    except Exception:
        log.exception("a mail could not be sent")


def drain(timeout: float = 15.0) -> bool:
    """Wait for the mails handed to send_soon so far (tests, and a process about to exit)."""
    with _lock:
        pending = list(_pending)
    return not _wait(pending, timeout).not_done


def outbox_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "outbox"


def send(config, mail: Mail) -> None:
    msg = build_message(mail, config.mail_from)
    if not config.smtp_url:
        box = outbox_dir(config.var_dir)
        box.mkdir(parents=True, exist_ok=True)
        name = f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:8]}.eml"
        (box / name).write_bytes(bytes(msg))
        return
    u = urlparse(config.smtp_url)
    port = u.port or (465 if u.scheme == "smtps" else 25)
    cls = smtplib.SMTP_SSL if u.scheme == "smtps" else smtplib.SMTP
    with cls(u.hostname or "localhost", port, timeout=10) as smtp:
        if u.scheme == "smtp+starttls":
            smtp.starttls()
        if u.username:
            smtp.login(unquote(u.username), unquote(u.password or ""))
        smtp.send_message(msg)


def read_outbox(var_dir: Path) -> list[tuple[str, EmailMessage]]:
    from email import message_from_bytes, policy

    box = outbox_dir(var_dir)
    if not box.exists():
        return []
    out = []
    for path in sorted(box.glob("*.eml"), reverse=True):
        out.append((path.name, message_from_bytes(path.read_bytes(), policy=policy.default)))
    return out
