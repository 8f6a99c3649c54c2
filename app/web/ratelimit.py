"""Login and reset attempts are rate-limited (Flask-Limiter, in memory, per process and per app)."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter


def _remote() -> str:
    return request.remote_addr or "-"


def _login_key() -> str:
    # Per address and account: one attacker cannot lock everyone out, nor try one account from afar.
    return f"{_remote()}|{(request.form.get('email') or '').strip().lower()}"


def apply_limits(app: Flask) -> Limiter:
    limiter = Limiter(_remote, app=app, storage_uri="memory://", default_limits=[])
    views = app.view_functions
    views["accounts.login"] = limiter.limit("10 per minute", methods=["POST"], key_func=_login_key)(
        limiter.limit("30 per minute", methods=["POST"])(views["accounts.login"]))
    views["accounts.reset_request"] = limiter.limit("5 per minute", methods=["POST"])(views["accounts.reset_request"])
    return limiter
