"""Outgoing mail: SMTP from EYRIE_SMTP_URL, or .eml files in var/outbox when none is set."""

from __future__ import annotations

import smtplib
import time
import uuid
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
