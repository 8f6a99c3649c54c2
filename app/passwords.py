"""Password hashing with a slow KDF (werkzeug's scrypt), kept behind three functions."""

from __future__ import annotations

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password(stored: str | None, password: str) -> bool:
    """stored=None (no such account) still runs the KDF, against a dummy hash made with today's
    parameters, so a wrong password takes as long for an unknown email as for a known one."""
    if stored is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(stored, password)


@cache
def _dummy_hash() -> str:
    # A random password nobody knows: the dummy can never match, whatever is typed.
    return hash_password(secrets.token_urlsafe(32))
