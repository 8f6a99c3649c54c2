"""StatHat's export API: stat list, stat by name, datasets, delete; token scoping."""

from __future__ import annotations

import pytest

from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.helpers import stat_row

H = 3600


def post(db, account, items):
    return record_ez(db, account.ezkey, [EzItem(**i) for i in items], NOW, bulk=True)


@pytest.fixture
def data(db, account):
    # Counter "hits": 1 per minute for the last 3 hours; value "temp": 10 and 20 in one minute.
    items = [dict(stat="hits", count=1, t=NOW - k * 60) for k in range(180)]
    items += [dict(stat="temp", value=10, t=NOW - 600), dict(stat="temp", value=20, t=NOW - 590)]
    post(db, account, items)
    return {n: stat_row(db, account.id, n) for n in ("hits", "temp")}


def test_statlist_lists_the_accounts_stats_in_statHats_shape(web, account, data):
    r = web.get(f"/x/{account.access_token}/statlist")
    assert r.status_code == 200
    body = r.get_json()
    assert [s["name"] for s in body] == ["hits", "temp"]
    hits = body[0]
    assert hits["id"] == str(data["hits"]["id"]) and hits["counter"] is True and hits["public"] is False
    assert hits["data_received_at"] == NOW - NOW % 60
    assert body[1]["counter"] is False
    assert web.get(f"/x/{account.access_token}/statlist?offset=1").get_json()[0]["name"] == "temp"
    assert web.get(f"/x/{account.access_token}/statlist?offset=5").get_json() == []


def test_stat_by_name(web, account, data):
    r = web.get(f"/x/{account.access_token}/stat?name=temp")
    assert r.status_code == 200 and r.get_json()["id"] == str(data["temp"]["id"])
    r = web.get(f"/x/{account.access_token}/stat?name=nope")
    assert r.status_code == 404 and r.get_json()["msg"] == "no stat with that name"


def test_dataset_counter_buckets_are_aligned_summed_and_end_now(web, account, data):
    r = web.get(f"/x/{account.access_token}/data/{data['hits']['id']}?t=3h1h")
    assert r.status_code == 200
    [ds] = r.get_json()
    assert ds["name"] == "hits" and ds["timeframe"] == "3 hours @ 1 hour"
    times = [p["time"] for p in ds["points"]]
    assert times == [NOW - NOW % H - 2 * H, NOW - NOW % H - H, NOW - NOW % H]
    # NOW is hh:30: the current partial hour holds 31 minutes of data (hh:00 .. hh:30).
    assert [p["value"] for p in ds["points"]] == [60, 60, 31]
    assert [p["count"] for p in ds["points"]] == [60, 60, 31]


def test_dataset_values_are_averaged_and_empty_buckets_are_zero(web, account, data):
    [ds] = web.get(f"/x/{account.access_token}/data/{data['temp']['id']}?t=30m10m").get_json()
    assert ds["timeframe"] == "30 minutes @ 10 minutes"
    values = {p["time"]: p["value"] for p in ds["points"]}
    assert values[NOW - 600] == 15.0  # (10 + 20) / 2
    assert sorted(values.values()).count(0) == len(values) - 1


def test_several_ids_answer_in_the_order_asked(web, account, data):
    ids = f"{data['temp']['id']}/{data['hits']['id']}"
    body = web.get(f"/x/{account.access_token}/data/{ids}?t=1h1h").get_json()
    assert [d["name"] for d in body] == ["temp", "hits"]


def test_start_pins_the_window(web, account, data):
    start = NOW - NOW % H - 2 * H
    [ds] = web.get(f"/x/{account.access_token}/data/{data['hits']['id']}?t=1h30m&start={start}").get_json()
    assert [p["time"] for p in ds["points"]] == [start, start + 1800]
    assert [p["value"] for p in ds["points"]] == [30, 30]


def test_summary_gives_daily_buckets(web, account, data):
    [ds] = web.get(f"/x/{account.access_token}/data/{data['hits']['id']}?summary=7d").get_json()
    assert ds["timeframe"] == "7 days @ 1 day"
    assert len(ds["points"]) == 7
    assert ds["points"][-1] == {"time": NOW - NOW % 86400, "value": 180, "count": 180}


def test_days_follow_the_accounts_timezone(web, db, account, data):
    from app.storage import accounts as aq

    db.run(lambda tx: aq.update_account(tx, account.id, timezone="America/Los_Angeles"))
    post(db, account, [dict(stat="la", count=1, t=NOW)])
    [ds] = web.get(f"/x/{account.access_token}/data/{stat_row(db, account.id, 'la')['id']}?t=2d1d").get_json()
    # 15:30 UTC on 24 Nov is 07:30 in Los Angeles (UTC-8): the local day started at 08:00 UTC.
    assert ds["points"][-1]["time"] == NOW - NOW % 86400 + 8 * H
    assert ds["points"][-1]["value"] == 1


@pytest.mark.parametrize("query, msg", [
    ("t=bogus", "invalid timeframe 'bogus': use duration then interval, e.g. 1w3h"),
    ("t=1h1d", "invalid timeframe '1h1d': the interval is longer than the duration"),
    ("t=1y1m", "timeframe 1y1m has too many points; use a longer interval"),
    ("summary=x", "invalid duration 'x': use a number and one of m h d w M y, e.g. 1w"),
    ("t=1h1m&start=abc", "start (unix seconds) must be a whole number from 1 to 4102444800, not 'abc'"),
    ("t=1h1m&start=1e400", "start (unix seconds) must be a whole number from 1 to 4102444800, not '1e400'"),
    ("t=1h1m&start=253402300800",
     "start (unix seconds) must be a whole number from 1 to 4102444800, not '253402300800'"),
    ("t=1h1m&start=-5", "start (unix seconds) must be a whole number from 1 to 4102444800, not '-5'"),
    ("t=1h1m&start=%C2%B2", "start (unix seconds) must be a whole number from 1 to 4102444800, not '²'"),
    ("t=3000y1y", "invalid timeframe '3000y1y': a duration or interval is 1 minute to 100 years"),
    ("t=99999999999999999999y1m",
     "invalid timeframe '99999999999999999999y1m': a duration or interval is 1 minute to 100 years"),
    ("t=1" + "0" * 5000 + "y1y",
     "invalid timeframe '1" + "0" * 39 + "': a duration or interval is 1 minute to 100 years"),
    ("t=%C2%B2y1d", "invalid timeframe '²y1d': use duration then interval, e.g. 1w3h"),
    ("t=0d1d", "invalid timeframe '0d1d': a duration or interval is 1 minute to 100 years"),
    ("summary=99999999999999999999d",
     "invalid duration '99999999999999999999d': a duration or interval is 1 minute to 100 years"),
    ("t=50y1y", "timeframe 50y1y reads too many rows; use a longer interval, or days or weeks (e.g. 50y4w)"),
])
def test_bad_timeframes_are_clear_400s(web, account, data, query, msg):
    r = web.get(f"/x/{account.access_token}/data/{data['hits']['id']}?{query}")
    assert r.status_code == 400
    assert r.get_json() == {"status": 400, "msg": msg}


@pytest.mark.parametrize("offset", ["99999999999999999999", "1e20", "-1", "%C2%B2", "1000000001", "x"])
def test_a_statlist_offset_out_of_bounds_is_a_clear_400(web, account, data, offset):
    r = web.get(f"/x/{account.access_token}/statlist?offset={offset}")
    assert r.status_code == 400 and r.get_json()["msg"].startswith("offset must be a whole number from 0 to 1000000000")


def test_the_longest_timeframes_and_the_earliest_start_answer(web, db, account, data):
    # 100 years at 4 weeks: the database sums ~36,500 day rows into 1,304 buckets.
    [ds] = web.get(f"/x/{account.access_token}/data/{data['hits']['id']}?t=100y4w").get_json()
    assert len(ds["points"]) == 1304 and sum(p["value"] for p in ds["points"]) == 180
    r = web.get(f"/x/{account.access_token}/data/{data['hits']['id']}?t=20y1y&start=1")
    assert r.status_code == 200 and [p["time"] for p in r.get_json()[0]["points"]][:2] == [0, 31536000]
    r = web.get(f"/x/{account.access_token}/data/{data['hits']['id']}?t=1d1h&start=4102444800")
    assert r.status_code == 200 and r.get_json()[0]["points"] == []


def test_only_the_first_five_ids_count(web, db, account):
    post(db, account, [dict(stat=f"s{i}", count=1, t=NOW) for i in range(7)])
    ids = "/".join(str(stat_row(db, account.id, f"s{i}")["id"]) for i in range(7))
    assert len(web.get(f"/x/{account.access_token}/data/{ids}?t=1h1h").get_json()) == 5


def test_delete_moves_the_stat_to_the_trash(web, db, account, data):
    r = web.delete(f"/x/{account.access_token}/stats/{data['hits']['id']}")
    assert r.status_code == 200 and r.get_json() == {"msg": "stat deleted."}
    assert stat_row(db, account.id, "hits")["deleted_at"] == NOW
    assert [s["name"] for s in web.get(f"/x/{account.access_token}/statlist").get_json()] == ["temp"]
    assert web.delete(f"/x/{account.access_token}/stats/{data['hits']['id']}").status_code == 404


def test_a_token_never_reaches_another_accounts_stats(web, db, account, other_account, data):
    tok = other_account.access_token
    hid = data["hits"]["id"]
    assert web.get(f"/x/{tok}/statlist").get_json() == []
    assert web.get(f"/x/{tok}/stat?name=hits").status_code == 404
    assert web.get(f"/x/{tok}/data/{hid}?t=1h1h").status_code == 404
    assert web.delete(f"/x/{tok}/stats/{hid}").status_code == 404
    assert stat_row(db, account.id, "hits")["deleted_at"] is None


@pytest.mark.parametrize("path", ["statlist", "stat?name=hits", "data/1?t=1h1h"])
def test_unknown_tokens_get_404_json_never_500(web, data, path):
    r = web.get(f"/x/not-a-token/{path}")
    assert r.status_code == 404
    assert r.get_json() == {"status": 404, "msg": "invalid access token"}


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999999999999999", "1.5"])
def test_odd_stat_ids_are_404(web, account, data, raw):
    r = web.get(f"/x/{account.access_token}/data/{raw}?t=1h1h")
    assert r.status_code == 404
