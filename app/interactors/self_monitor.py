"""Self-monitoring's use cases: record a process's figures as stats (the ordinary ingest path) and
make the "Eyrie health" dashboard for the monitoring account once."""

from __future__ import annotations

from app.interactors import dashboards
from app.interactors.ingest import EzItem, record_ez
from app.interactors.stats import ensure_stats
from app.storage import accounts as aq

DASHBOARD = "Eyrie health"
# (stat, kind): the tiles of the health dashboard, the figures that say most about each role.
TILES = (
    ("eyrie ingest points", "counter"),
    ("eyrie ingest ez ms", "value"),
    ("eyrie ingest commit rows", "value"),
    ("eyrie ingest commit ms", "value"),
    ("eyrie ingest writer queue", "value"),
    ("eyrie web page requests", "counter"),
    ("eyrie web page ms", "value"),
    ("eyrie web api ms", "value"),
    ("eyrie web replica lag ms", "value"),
    ("eyrie worker alerts ms", "value"),
    ("eyrie worker notification failures", "counter"),
    ("eyrie web rss mb", "value"),
)


def record_figures(db, ezkey: str, figures: list[tuple[str, str, float]], now: int) -> int:
    """One bulk write of (name, kind, number); returns how many points were stored."""
    items = [EzItem(stat=name, count=n, t=now) if kind == "counter" else EzItem(stat=name, value=n, t=now)
             for name, kind, n in figures]
    return record_ez(db, ezkey, items, now, bulk=True).accepted if items else 0


def ensure_health_dashboard(db, ezkey: str, now: int) -> int | None:
    """The dashboard's id; made (with its stats) when missing. None while the account does not exist."""
    account = db.run(lambda tx: aq.account_by_ezkey(tx, ezkey))   # the primary: it may have been made just now
    if account is None:
        return None
    for d in dashboards.list_dashboards(db, account["id"])["dashboards"]:
        if d["name"] == DASHBOARD:
            return d["id"]
    stats = ensure_stats(db, account["id"], dict(TILES), now)
    dashboard_id = dashboards.create_dashboard(db, account["id"], DASHBOARD, now)
    # Every process of a fresh cluster gets here at about the same time: the oldest dashboard wins
    # and the others remove their own copy, so the account ends up with one.
    first = min(d["id"] for d in dashboards.list_dashboards(db, account["id"])["dashboards"] if d["name"] == DASHBOARD)
    if first != dashboard_id:
        dashboards.delete_dashboard(db, account["id"], dashboard_id)
        return first
    for name, _kind in TILES:
        dashboards.add_tile(db, account, dashboard_id, [str(stats[name]["id"])], "1d", 1, "", now)
    return dashboard_id
