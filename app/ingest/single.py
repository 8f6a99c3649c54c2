"""The three single-point posts (/ez form, /c, /v) from their merged parameters: one interactor
call each. The Flask views and the fast path (fast.py) both call these, so they cannot drift."""

from __future__ import annotations

from app import monitoring
from app.errors import Invalid
from app.ingest import parsing
from app.interactors.ingest import record_classic, record_ez


def ez(db, p: dict, now: int, limits) -> None:
    record_ez(db, parsing.ezkey_of(p), [parsing.single_item(p)], now, limits=limits)
    monitoring.count("points")


def counter(db, p: dict, now: int, limits) -> None:
    # Old Ruby wrappers sent the classic count as `value=`: accept it.
    number = p.get("count") if p.get("count") not in (None, "") else p.get("value")
    record_classic(db, p.get("ukey"), p.get("key"), number, p.get("t"), now, default_count=True, limits=limits)
    monitoring.count("points")


def value(db, p: dict, now: int, limits) -> None:
    if p.get("value") in (None, ""):
        raise Invalid("missing value")
    record_classic(db, p.get("ukey"), p.get("key"), p.get("value"), p.get("t"), now, limits=limits)
    monitoring.count("points")


BY_PATH = {"/ez": ez, "/c": counter, "/v": value}
