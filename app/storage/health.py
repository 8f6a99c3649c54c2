"""The health check's query: the cheapest statement that proves the database answers."""

from __future__ import annotations

from app.storage.db import Tx


def ping(tx: Tx) -> int:
    return tx.scalar("SELECT 1")
