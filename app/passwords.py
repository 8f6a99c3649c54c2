"""Password hashing with a slow KDF (werkzeug's scrypt), kept behind two functions."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password(stored: str, password: str) -> bool:
    return check_password_hash(stored, password)
