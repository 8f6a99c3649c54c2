"""Sign-in, sign-up and reset attempts are rate-limited (Flask-Limiter, in memory, per process and per app).

Each of these forms can tell whether an email has an account (login by its answer, signup by "already
exists"), so each gets a limit per address: nobody can test a list of emails at speed."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter

LOGIN_PER_ACCOUNT = "10 per minute"
LOGIN_PER_ADDRESS = "30 per minute"
SIGNUP_PER_ADDRESS = "5 per minute;30 per hour"
RESET_PER_ADDRESS = "5 per minute;30 per hour"


def _remote() -> str:
    return request.remote_addr or "-"


def _login_key() -> str:
    # Per address and account: one attacker cannot lock everyone out, nor try one account from afar.
    return f"{_remote()}|{(request.form.get('email') or '').strip().lower()}"


def apply_limits(app: Flask) -> Limiter:
    limiter = Limiter(_remote, app=app, storage_uri="memory://", default_limits=[])
    views = app.view_functions
    views["accounts.login"] = limiter.limit(LOGIN_PER_ACCOUNT, methods=["POST"], key_func=_login_key)(
        limiter.limit(LOGIN_PER_ADDRESS, methods=["POST"])(views["accounts.login"]))
    for endpoint, limit in (("accounts.signup", SIGNUP_PER_ADDRESS), ("accounts.reset_request", RESET_PER_ADDRESS)):
        views[endpoint] = limiter.limit(limit, methods=["POST"])(views[endpoint])
    # Only these views are limited, and their wrappers check their limits themselves. The check the
    # extension also runs before every request serves application-wide limits, of which there are
    # none: it was 12 % of an export API request's CPU (bench/README.md, 2026-12-03).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    # Likewise its hook after every request adds X-RateLimit-* headers, which are off here, and
    # settles deduct_when limits, of which there are none (a tenth of a trivial request's time).
    if not app.config.get("RATELIMIT_HEADERS_ENABLED"):
        hooks = app.after_request_funcs[None]
        inject = [f for f in hooks if getattr(f, "func", None) is Limiter._Limiter__inject_headers]
        if len(inject) != 1:
            raise RuntimeError("Flask-Limiter changed: review apply_limits")
        hooks.remove(inject[0])
    return limiter
