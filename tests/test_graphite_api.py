"""/x/TOKEN/graphite: find, render (GET and POST, every format), the calls Grafana makes, errors."""

from __future__ import annotations

import csv
import io

import pytest

from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW

BASE = NOW - NOW % 60  # 15:30:00


@pytest.fixture
def data(db, account, other_account):
    items = [EzItem("web.a.hits", count=i + 1, t=BASE - 600 + i * 60) for i in range(10)]
    items += [EzItem("web.b.hits", count=10, t=BASE - 600 + i * 60) for i in range(0, 10, 2)]
    items += [EzItem("servers.db1.cpu", value=v, t=BASE - 300 + 5) for v in (10, 30)]
    items += [EzItem("servers.db2.cpu", value=50, t=BASE - 300)]
    record_ez(db, account.email, items, NOW, bulk=True)
    record_ez(db, other_account.email, [EzItem("web.c.hits", count=99, t=BASE - 60)], NOW, bulk=True)
    return account


def g(web, token, path, **params):
    return web.get(f"/x/{token}/graphite{path}", query_string=params)


def test_find_treejson_and_completer(web, data):
    r = g(web, data.access_token, "/metrics/find", query="*")
    assert r.status_code == 200
    assert r.get_json() == [
        {"text": "servers", "id": "servers", "allowChildren": 1, "expandable": 1, "leaf": 0},
        {"text": "web", "id": "web", "allowChildren": 1, "expandable": 1, "leaf": 0}]
    r = g(web, data.access_token, "/metrics/find", query="web.{a,c}.*")
    assert r.get_json() == [{"text": "hits", "id": "web.{a,c}.hits", "allowChildren": 0, "expandable": 0,
                             "leaf": 1}]  # web.c.hits is another account's
    r = g(web, data.access_token, "/metrics/find", query="servers.db", format="completer")
    assert r.get_json() == {"metrics": [{"path": "servers.db1.", "name": "db1", "is_leaf": "0"},
                                        {"path": "servers.db2.", "name": "db2", "is_leaf": "0"}]}
    r = web.post(f"/x/{data.access_token}/graphite/metrics/find", data={"query": "servers.db[0-1].*"})
    assert [n["id"] for n in r.get_json()] == ["servers.db[0-1].cpu"]


def test_render_json_values_counters_and_nulls(web, data):
    r = g(web, data.access_token, "/render", target="web.*.hits", **{"from": "-5min"}, format="json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    got = {s["target"]: s["datapoints"] for s in r.get_json()}
    assert list(got) == ["web.a.hits", "web.b.hits"]
    stamps = [t for _, t in got["web.a.hits"]]
    assert stamps == list(range(BASE - 240, BASE + 60, 60))  # whisper's window: after from, through now
    assert [v for v, _ in got["web.a.hits"]] == [7.0, 8.0, 9.0, 10.0, None]
    assert [v for v, _ in got["web.b.hits"]] == [10.0, None, 10.0, None, None]
    r = g(web, data.access_token, "/render", target="servers.*.cpu", **{"from": "-6min", "until": "-4min"},
          format="json")
    assert {s["target"]: [v for v, _ in s["datapoints"]] for s in r.get_json()} == {
        "servers.db1.cpu": [20.0, None], "servers.db2.cpu": [50.0, None]}


def test_render_functions_over_stored_points(web, data):
    def one(target, **params):
        r = g(web, data.access_token, "/render", target=target, format="json", **{"from": "-10min"}, **params)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    (s,) = one("sumSeries(web.*.hits)")
    assert s["target"] == "sumSeries(web.*.hits)"
    assert [v for v, _ in s["datapoints"]][:4] == [2.0, 13.0, 4.0, 15.0]
    (s,) = one('summarize(web.a.hits, "5min")')
    assert [v for v, _ in s["datapoints"]] == [sum(range(2, 6)), sum(range(6, 11)), None]
    (s,) = one("asPercent(web.a.hits, sumSeries(web.*.hits))")
    assert [v for v, _ in s["datapoints"][:2]] == [100.0, pytest.approx(3 / 13 * 100)]
    assert [s["target"] for s in one("aliasByNode(web.*.hits, 1)")] == ["a", "b"]


def test_render_post_form_with_repeated_targets(web, data):
    r = web.post(f"/x/{data.access_token}/graphite/render",
                 data={"target": ["web.a.hits", "alias(servers.db2.cpu, 'db')"], "from": "-10min", "until": "now",
                       "format": "json", "maxDataPoints": "3"})
    assert r.status_code == 200
    out = r.get_json()
    assert [s["target"] for s in out] == ["web.a.hits", "db"]
    assert all(len(s["datapoints"]) <= 4 for s in out)


def test_csv_svg_png(web, data):
    r = g(web, data.access_token, "/render", target="web.a.hits", **{"from": "-2min"}, format="csv")
    assert r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows == [["web.a.hits", "2026-11-24 15:29:00", "10.0"], ["web.a.hits", "2026-11-24 15:30:00", ""]]
    r = g(web, data.access_token, "/render", target="web.a.hits", format="svg", width=400, height=200)
    assert r.mimetype == "image/svg+xml" and r.get_data(as_text=True).startswith("<svg")
    r = g(web, data.access_token, "/render", target="web.a.hits")
    assert r.mimetype == "image/png" and r.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_grafana_calls(web, data):
    r = g(web, data.access_token, "/render", target="constantLine(100)", **{"from": "-1h"}, format="json",
          maxDataPoints=300)  # Grafana's "Save & test"
    assert r.status_code == 200 and [v for v, _ in r.get_json()[0]["datapoints"]] == [100, 100, 100]
    assert g(web, data.access_token, "/version").get_data(as_text=True) == "1.1.10"
    funcs = g(web, data.access_token, "/functions").get_json()
    assert {"sumSeries", "summarize", "movingAverage", "asPercent"} <= set(funcs)
    assert funcs["summarize"]["params"][1]["name"] == "intervalString"
    assert g(web, data.access_token, "/tags/autoComplete/tags").get_json() == []


@pytest.mark.parametrize("params,msg", [
    ({"target": "nope(web.a.hits)"}, "unknown function: nope"),
    ({"target": "sumSeries(web.a.hits"}, "expected"),
    ({"target": "web.a.hits", "from": "yesterday-ish"}, "cannot read the time"),
    ({"target": "web.a.hits", "from": "-1h", "until": "-2h"}, "from must be before until"),
    ({"target": "web.a.hits", "format": "pickle"}, "format must be"),
    ({"target": "web.a.hits", "maxDataPoints": "lots"}, "maxDataPoints"),
    ({"target": "web.a.hits", "format": "png", "width": "99999"}, "width"),
    ({"target": 'summarize(web.a.hits, "1zz")'}, "unknown time unit"),
])
def test_bad_requests_are_400_naming_the_problem(web, data, params, msg):
    r = g(web, data.access_token, "/render", **{"format": "json", **params})
    assert r.status_code == 400
    assert msg in r.get_json()["msg"]


def test_tokens_are_checked_and_accounts_kept_apart(web, data, other_account):
    for path in ("/render", "/metrics/find", "/functions", "/version"):
        assert g(web, "not-a-token", path, target="web.*.hits", query="*").status_code == 404
    r = g(web, other_account.access_token, "/render", target="web.*.hits", **{"from": "-5min"}, format="json")
    assert [s["target"] for s in r.get_json()] == ["web.c.hits"]


def test_longer_windows_read_hour_and_day_rollups(web, data):
    r = g(web, data.access_token, "/render", target="web.a.hits", **{"from": "-30d"}, format="json")
    points = r.get_json()[0]["datapoints"]
    assert points[1][1] - points[0][1] == 3600
    assert sum(v for v, _ in points if v) == sum(range(1, 11))
    r = g(web, data.access_token, "/render", target="web.a.hits", **{"from": "-2y"}, format="json")
    points = r.get_json()[0]["datapoints"]
    assert points[1][1] - points[0][1] == 86400
    assert [v for v, t in points if v] == [55.0] and points[-1][1] == BASE - BASE % 86400


def test_trashed_stats_are_not_read(web, db, data):
    from app.interactors.stats import trash_stat
    from tests.helpers import stat_row

    trash_stat(db, data.id, stat_row(db, data.id, "web.a.hits")["id"], NOW)
    for target in ("web.a.hits", "web.*.hits"):
        r = g(web, data.access_token, "/render", target=target, **{"from": "-5min"}, format="json")
        assert "web.a.hits" not in [s["target"] for s in r.get_json()]
    r = g(web, data.access_token, "/metrics/find", query="web.*")
    assert [n["id"] for n in r.get_json()] == ["web.b"]


def test_find_needs_a_query(web, data):
    r = g(web, data.access_token, "/metrics/find")
    assert r.status_code == 400 and r.get_json()["msg"] == "query is required"
    assert g(web, "bad-token", "/metrics/find").status_code == 404


def test_expand(web, data):
    r = g(web, data.access_token, "/metrics/expand", query="servers.*")
    assert r.get_json() == {"results": ["servers.db1", "servers.db2"]}
    r = web.get(f"/x/{data.access_token}/graphite/metrics/expand?query=web.*.hits&query=servers.db1.*&leavesOnly=1")
    assert r.get_json() == {"results": ["servers.db1.cpu", "web.a.hits", "web.b.hits"]}
