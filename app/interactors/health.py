"""Is the service able to work: the database answers a query."""

from __future__ import annotations

from app.errors import Unavailable
from app.storage import health as q


def check(db) -> dict:
    try:
        db.read(q.ping)
    except Unavailable:
        raise
    except Exception as exc:
        raise Unavailable("database unavailable") from exc
    return {"status": "ok", "database": db.dialect}
