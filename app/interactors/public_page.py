"""A public stat's page (/s/<embed key>): the stat page without a session, for stats made public.

Apart from embeds.py so that embeds (which the stat page's builder uses) never import the stat page:
this module sits above both.
"""

from __future__ import annotations

from app.errors import NotFound
from app.interactors import embeds, graphs
from app.interactors import stat_page as sp


def public_stat(db, cache, key: str, code: str | None, now: int, known_etags=()) -> dict:
    """A public stat's page by its embed key: name, graph, summaries. NotFound unless the stat is public."""
    if not embeds.KEY.match(key or ""):
        raise NotFound("no such stat")
    code = graphs.parse_code(code)
    stats = embeds.lookup(db, [key])
    stat = stats[0]
    if not stat["public"]:
        raise NotFound("no such stat")
    etag = embeds.make_etag("public", stats, now, code)
    if etag in known_etags:
        return {"etag": etag, "view": None}
    view = cache.get(etag)
    if view is None:
        full = sp.stat_view(db, stat["account_id"], stat["id"], code, True, now, stat["timezone"] or "UTC",
                            with_points=False, with_marks=False)   # alerts are the owner's business
        view = {k: v for k, v in full.items() if k not in ("points", "previous", "embed")}
        view["stat"] = {**embeds.public_fields(stats)[0], "last_data_at": full["stat"]["last_data_at"]}
        view["timezone"] = stat["timezone"] or "UTC"
        cache.put(etag, view, len(view["svg"]) + 4096)
    return {"etag": etag, "view": view}
