"""StatHat's alerts API: /x/TOKEN/alerts with its shapes (string ids), errors as JSON, other accounts 404."""

from __future__ import annotations

from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.helpers import count_rows, stat_row


def make_stat(db, acct, name="api call"):
    record_ez(db, acct.ezkey, [EzItem(stat=name, count=1, t=NOW)], NOW, bulk=True)
    return str(stat_row(db, acct.id, name)["id"])


def test_create_get_list_and_delete_in_statHats_shapes(web, db, account):
    sid = make_stat(db, account)
    base = f"/x/{account.access_token}/alerts"
    assert web.get(base).get_json() == []

    r = web.post(base, data={"stat_id": sid, "kind": "value", "time_window": "1h", "operator": "greater than",
                             "threshold": "500"})
    assert r.status_code == 200
    value = r.get_json()
    assert isinstance(value["id"], str)
    assert value == {"id": value["id"], "stat_id": sid, "stat_name": "api call", "kind": "value", "time_window": "1h",
                     "operator": "greater than", "threshold": 500}

    data = web.post(base, data={"stat_id": sid, "kind": "data", "time_window": "5m"}).get_json()
    assert data == {"id": data["id"], "stat_id": sid, "stat_name": "api call", "kind": "data", "time_window": "5m"}

    delta = web.post(base, data={"stat_id": sid, "kind": "delta", "time_window": "5m", "operator": "gt",
                                 "percentage": "12.5", "time_delta": "1h"}).get_json()
    assert delta == {"id": delta["id"], "stat_id": sid, "stat_name": "api call", "kind": "delta", "time_window": "5m",
                     "operator": "greater than", "percentage": 12.5, "time_delta": "1h"}

    assert web.get(base).get_json() == [value, data, delta]
    assert web.get(f"{base}/{delta['id']}").get_json() == delta
    r = web.delete(f"{base}/{value['id']}")
    assert r.status_code == 200 and r.get_json() == {"msg": "alert deleted."}
    assert [a["id"] for a in web.get(base).get_json()] == [data["id"], delta["id"]]
    assert web.get(f"{base}/{value['id']}").status_code == 404


def test_bad_input_is_a_400_json_error_and_stores_nothing(web, db, account):
    sid = make_stat(db, account)
    base = f"/x/{account.access_token}/alerts"
    cases = [
        ({"kind": "value", "time_window": "1h", "operator": "greater than", "threshold": "1"}, "stat_id is required"),
        ({"stat_id": sid, "kind": "bogus", "time_window": "1h"}, "kind must be value, delta or data"),
        ({"stat_id": sid, "kind": "data", "time_window": "2h"}, "time_window must be one of"),
        ({"stat_id": sid, "kind": "value", "time_window": "1h", "operator": "around"}, "operator must be"),
        ({"stat_id": sid, "kind": "value", "time_window": "1h", "operator": "less than"}, "threshold is required"),
        ({"stat_id": sid, "kind": "delta", "time_window": "1h", "operator": "less than", "percentage": "-3",
          "time_delta": "1d"}, "percentage must be more than 0"),
        ({"stat_id": sid, "kind": "delta", "time_window": "1h", "operator": "less than", "percentage": "3"},
         "time_delta must be one of"),
    ]
    for params, msg in cases:
        r = web.post(base, data=params)
        assert r.status_code == 400, params
        body = r.get_json()
        assert body["status"] == 400 and body["msg"].startswith(msg), (params, body)
    assert count_rows(db, "alerts") == 0


def test_other_accounts_alerts_and_stats_are_404_and_bad_tokens_too(web, db, account, other_account):
    mine = make_stat(db, account)
    theirs = make_stat(db, other_account, "their stat")
    their_alert = web.post(f"/x/{other_account.access_token}/alerts",
                           data={"stat_id": theirs, "kind": "data", "time_window": "1h"}).get_json()
    base = f"/x/{account.access_token}/alerts"
    r = web.post(base, data={"stat_id": theirs, "kind": "data", "time_window": "1h"})
    assert r.status_code == 404 and r.get_json()["status"] == 404
    assert web.get(f"{base}/{their_alert['id']}").status_code == 404
    assert web.delete(f"{base}/{their_alert['id']}").status_code == 404
    assert web.get(f"{base}/not-a-number").status_code == 404
    assert web.get(base).get_json() == []
    assert web.get("/x/wrong-token/alerts").status_code == 404
    assert web.post("/x/wrong-token/alerts", data={"stat_id": mine, "kind": "data",
                                                   "time_window": "1h"}).status_code == 404
    assert count_rows(db, "alerts") == 1


def test_alerts_made_through_the_api_show_in_the_ui_and_are_checked(web, db, account, signed_in):
    from app.interactors.alerts import check_due

    sid = make_stat(db, account)
    web.post(f"/x/{account.access_token}/alerts", data={"stat_id": sid, "kind": "data", "time_window": "5m"})
    assert check_due(db, NOW + 600)["triggered"] == 1
    html = signed_in.get("/alerts").get_data(as_text=True)
    assert "no data in the last 5 minutes" in html and "triggered" in html
