"""Lists of ids from query strings and forms (`s=3&s=4` or `s=3,4`). Pure."""

from __future__ import annotations

from app.errors import Invalid
from app.params import is_int


def parse_id_list(raw: list[str] | None, *, what: str, field: str, most: int, repeats_ok: bool = True) -> list[int]:
    """Ids in order. A repeat is dropped (or refused when repeats_ok is False); garbage, or more
    than `most` ids, is an Invalid naming `field`."""
    ids: list[int] = []
    for part in raw or []:
        for piece in str(part).split(","):
            piece = piece.strip()
            if not piece:
                continue
            if not is_int(piece, 1, 2**62 - 1):
                raise Invalid(f"{piece[:20]!r} is not a {what} id", field=field)
            value = int(piece)
            if value in ids:
                if not repeats_ok:
                    raise Invalid(f"a {what} appears twice", field=field)
                continue
            ids.append(value)
            if len(ids) > most:
                raise Invalid(f"at most {most} {what}s", field=field)
    return ids
