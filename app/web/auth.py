"""Who is signed in: the session cookie holds the account id and a password-derived version."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, has_request_context, redirect, request, session, url_for

from app.errors import NotFound
from app.interactors.accounts import get_account, session_version


def db():
    return current_app.extensions["eyrie.db"]


def config():
    return current_app.extensions["eyrie.config"]


def base_url() -> str:
    """Where this server is reached: EYRIE_BASE_URL, or the address this request came to (behind
    nginx, the forwarded host and scheme as the proxy fix trusts them), so pasted snippets work."""
    if config().base_url or not has_request_context():
        return config().mail_base_url
    return request.host_url.rstrip("/")


def now() -> int:
    return int(current_app.extensions["eyrie.clock"]())


def sign_in(account: dict) -> None:
    session.clear()
    session["aid"] = account["id"]
    session["v"] = session_version(account)
    session.permanent = True


def load_account() -> dict | None:
    aid = session.get("aid")
    if not aid:
        return None
    try:
        account = get_account(db(), int(aid))
    except NotFound:
        return None
    if session.get("v") != session_version(account):
        return None
    return account


def login_required(view):
    """Anonymous users go to the login page (htmx requests are told to go there with HX-Redirect)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        account = load_account()
        if account is None:
            target = url_for("accounts.login", next=request.full_path.rstrip("?"))
            if request.headers.get("HX-Request"):
                resp = current_app.response_class(status=401)
                resp.headers["HX-Redirect"] = target
                return resp
            return redirect(target)
        g.account = account
        return view(*args, **kwargs)

    return wrapper
