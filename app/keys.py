"""Random keys and tokens. Lengths give at least 128 bits where the key is a secret."""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def ukey() -> str:
    return secrets.token_urlsafe(21)  # 28 characters, like StatHat's


def classic_key() -> str:
    return secrets.token_urlsafe(21)


def embed_key() -> str:
    return secrets.token_urlsafe(18)  # 144 bits


def access_token() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(24))  # ~143 bits


def metrics_token() -> str:
    # Lowercase letters and digits only: it is the first part of a Graphite path and of a StatsD
    # name, where dots, colons and pipes mean something. 20 characters: ~103 bits.
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(20))
