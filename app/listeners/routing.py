"""Which account a metric belongs to. Pure.

A listener started for one account takes every name as it is. A shared listener reads the
account from the name's first dot-separated part, the account's metrics prefix token:
`TOKEN.rest.of.name` lands in that account as `rest.of.name`.
"""

from __future__ import annotations


def split_token(name: str) -> tuple[str, str] | None:
    """'TOKEN.rest' -> ('TOKEN', 'rest'); None when there is no token part or nothing after it."""
    token, dot, rest = name.partition(".")
    if not dot or not token or not rest.strip():
        return None
    return token, rest
