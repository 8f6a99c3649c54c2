"""EYRIE_SELF_MONITOR: a process's own figures become stats of that account through the ordinary
ingest interactor, in one bulk write per flush; an "Eyrie health" dashboard is made once; alerts
work on them like on any stat; with the setting off nothing is recorded."""

from __future__ import annotations

import dataclasses

import pytest
from werkzeug.test import Client as _Client

from app import monitoring
from app.interactors.alerts import check_due, create_alert
from app.interactors.dashboards import list_dashboards
from app.interactors.self_monitor import DASHBOARD, TILES
from app.monitoring.figures import Figures, route_group
from app.worker import run_once
from app.wsgi import create_app
from tests.conftest import NOW
from tests.helpers import stat_row


class Client(_Client):
    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)   # read whole and closed, as waitress does: the timer stops at close()
        return super().open(*args, **kwargs)


@pytest.fixture
def monitored(config, db, account):
    cfg = dataclasses.replace(config, self_monitor=account.ezkey)
    apps = []

    def make(role: str):
        app = create_app(role, cfg, db)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.monitor.stop()
    monitoring.set_active(None)


def minute(db, stat_id: int) -> dict:
    return db.read(lambda tx: tx.one("SELECT total, n FROM rollups WHERE stat_id = ? AND res = 60 AND ts = ?",
                                     (stat_id, NOW // 60 * 60)))


def test_figures_sum_counters_and_average_values():
    f = Figures("eyrie web")
    f.count("page requests")
    f.count("page requests", 2)
    f.value("page ms", 10)
    f.value("page ms", 30)
    assert f.drain() == [("eyrie web page requests", "counter", 3.0), ("eyrie web page ms", "value", 20.0)]
    assert f.drain() == []
    assert [route_group(p) for p in ("/ez", "/x/t/statlist", "/embed/graph/k.svg", "/static/a.css", "/stats/1")] == \
        ["ez", "api", "embed", "static", "page"]


def test_an_ingest_process_records_its_requests_points_and_commits_as_stats(monitored, db, account):
    app = monitored("ingest")
    client = Client(app)
    for _ in range(5):
        assert client.post("/ez", data={"ezkey": account.ezkey, "stat": "orders", "count": "1", "t": str(NOW)}
                           ).status_code == 200
    assert client.post("/ez", json={"ezkey": account.ezkey, "data": [{"stat": "orders", "count": 1, "t": NOW}] * 3}
                       ).status_code == 200
    stored = app.monitor.flush(NOW)
    assert stored >= 6
    aid = account.id
    assert minute(db, stat_row(db, aid, "eyrie ingest ez requests")["id"]) == {"total": 6.0, "n": 1}
    assert minute(db, stat_row(db, aid, "eyrie ingest points")["id"])["total"] == 8.0
    for name in ("eyrie ingest ez ms", "eyrie ingest rss mb", "eyrie ingest commit rows", "eyrie ingest commit ms",
                 "eyrie ingest writer queue"):
        row = minute(db, stat_row(db, aid, name)["id"])
        assert row is not None and row["n"] == 1 and row["total"] >= 0, name
    assert stat_row(db, aid, "eyrie ingest rss mb")["kind"] == "value"
    # The health dashboard, once, with a tile per figure.
    boards = [d for d in list_dashboards(db, aid)["dashboards"] if d["name"] == DASHBOARD]
    assert len(boards) == 1 and boards[0]["tiles"] == len(TILES)
    app.monitor.flush(NOW + 60)
    assert len([d for d in list_dashboards(db, aid)["dashboards"] if d["name"] == DASHBOARD]) == 1


def test_a_web_process_times_its_route_groups(monitored, db, account):
    app = monitored("web")
    client = Client(app)
    assert client.get("/login").status_code == 200
    assert client.get("/x/not-a-token/statlist").status_code == 404
    app.monitor.flush(NOW)
    assert minute(db, stat_row(db, account.id, "eyrie web page requests")["id"])["total"] == 1.0
    assert minute(db, stat_row(db, account.id, "eyrie web api requests")["id"])["total"] == 1.0


def test_worker_steps_are_timed_and_an_alert_works_on_a_self_monitoring_stat(monitored, db, account, config):
    app = monitored("ingest")
    Client(app).post("/ez", data={"ezkey": account.ezkey, "stat": "x", "count": "1", "t": str(NOW)})
    run_once(db, config, NOW)
    app.monitor.flush(NOW)
    assert minute(db, stat_row(db, account.id, "eyrie ingest alerts ms")["id"])["n"] == 1  # this process ran it
    sid = stat_row(db, account.id, "eyrie ingest points")["id"]
    create_alert(db, account.id, sid, {"kind": "value", "time_window": "5m", "operator": "greater than",
                                       "threshold": "0", "email": "off"}, NOW)
    assert check_due(db, NOW + 60)["triggered"] == 1


def test_without_an_account_figures_are_dropped_and_nothing_fails(config, db):
    cfg = dataclasses.replace(config, self_monitor="nobody@example.test")
    app = create_app("ingest", cfg, db)
    try:
        assert app.monitor.flush(NOW) == 0
    finally:
        app.monitor.stop()
    assert db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM stats")) == 0


def test_off_by_default_no_wrapper_and_no_figures(config, db):
    app = create_app("ingest", config, db)
    assert not hasattr(app, "monitor") and monitoring.active() is None


def test_processes_racing_to_make_the_health_dashboard_leave_exactly_one(db_url, db, account):
    import threading

    from app.interactors.self_monitor import ensure_health_dashboard
    from app.storage.db import Database

    dbs = [Database(db_url) for _ in range(4)]
    barrier = threading.Barrier(4)
    ids: list = [None] * 4

    def race(i):
        barrier.wait()
        ids[i] = ensure_health_dashboard(dbs[i], account.ezkey, NOW)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for d in dbs:
        d.close()
    boards = [d for d in list_dashboards(db, account.id)["dashboards"] if d["name"] == DASHBOARD]
    assert len(boards) == 1 and set(ids) == {boards[0]["id"]} and boards[0]["tiles"] == len(TILES)
