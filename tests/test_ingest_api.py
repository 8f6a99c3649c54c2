"""The StatHat-compatible ingest API: every accepted form, reply and refusal, with stored state."""

from __future__ import annotations

import json

import pytest

from app.interactors.stats import create_stat
from app.rollups import DAY, HOUR, MINUTE
from tests.conftest import NOW
from tests.helpers import count_rows, rollup, stat_names, stat_row

T = NOW - NOW % 60 - 3600  # an exact minute, one hour before now


def ez_stat(db, account, name):
    row = stat_row(db, account.id, name)
    assert row is not None, f"stat {name!r} was not created"
    return row


def test_ez_get_creates_a_counter_and_answers_statHats_verbose_200_byte_for_byte(ingest, db, account):
    r = ingest.get(f"/ez?ezkey={account.ezkey}&stat=signups&count=3&t={T}")
    assert r.status_code == 200
    assert r.data == b'{"status":200,"msg":"ok"}'  # no trailing newline, as StatHat sent it
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Content-Length"] == "25"
    stat = ez_stat(db, account, "signups")
    assert stat["kind"] == "counter"
    assert rollup(db, stat["id"], MINUTE, T) == (3.0, 1, 3.0, 3.0)
    assert rollup(db, stat["id"], HOUR, T - T % 3600) == (3.0, 1, 3.0, 3.0)
    assert rollup(db, stat["id"], DAY, T - T % 86400) == (3.0, 1, 3.0, 3.0)


def test_ez_post_form_with_value_creates_a_value_stat(ingest, db, account):
    r = ingest.post("/ez", data={"ezkey": account.ezkey, "stat": "load", "value": "0.375", "t": str(T)})
    assert r.status_code == 200
    stat = ez_stat(db, account, "load")
    assert stat["kind"] == "value"
    assert rollup(db, stat["id"], MINUTE, T) == (0.375, 1, 0.375, 0.375)


def test_post_with_parameters_in_the_query_string_and_an_empty_body(ingest, db, account):
    r = ingest.post(f"/ez?ezkey={account.ezkey}&stat=cfml&count=2&t={T}", data=b"")
    assert r.status_code == 200
    assert rollup(db, ez_stat(db, account, "cfml")["id"], MINUTE, T) == (2.0, 1, 2.0, 2.0)


def test_raw_form_body_that_is_not_url_encoded_like_the_npm_client_sends(ingest, db, account):
    body = f"ezkey={account.ezkey}&stat=messages sent~total,female&count=3&t={T}"
    r = ingest.post("/ez", data=body.encode(), content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200
    assert stat_names(db, account.id) == ["messages sent female", "messages sent total"]
    for name in ("messages sent total", "messages sent female"):
        assert rollup(db, ez_stat(db, account, name)["id"], MINUTE, T) == (3.0, 1, 3.0, 3.0)


def test_email_is_an_alias_of_ezkey(ingest, db, account):
    assert ingest.post("/ez", data={"email": account.email, "stat": "old", "count": "1", "t": T}).status_code == 200
    assert ez_stat(db, account, "old")["kind"] == "counter"


def test_vb_1_still_answers_200_with_statHats_verbose_body(ingest, account):
    r = ingest.get(f"/ez?ezkey={account.ezkey}&stat=v&count=1&vb=1")
    assert r.status_code == 200
    assert r.data == b'{"status":200,"msg":"ok"}'


@pytest.mark.parametrize("path", ["/ez?ezkey={ezkey}&stat=v&count=1&vb=0", "/c?ukey={ukey}&key={key}&vb=0"])
def test_vb_0_asks_for_statHats_bodiless_204(ingest, db, account, path):
    key = create_stat(db, account.email, "classic", "counter", NOW)["classic_key"]
    r = ingest.get(path.format(ezkey=account.ezkey, ukey=account.ukey, key=key))
    assert r.status_code == 204 and r.data == b"" and "Content-Type" not in r.headers
    # One point: its minute row (the hour and day rows are folded from it, see storage/points.py).
    assert db.read(lambda tx: tx.scalar("SELECT SUM(n) FROM rollups WHERE res = ?", (MINUTE,))) == 1


def test_server_setting_makes_replies_terse_unless_a_post_asks_for_vb_1(config, db, clock, account):
    from dataclasses import replace

    from app.config import Config
    from app.ingest import create_ingest_app

    assert Config.from_env(env={"EYRIE_TERSE_REPLIES": "1"}).terse_replies
    client = create_ingest_app(replace(config, terse_replies=True), db, clock).test_client()
    r = client.get(f"/ez?ezkey={account.ezkey}&stat=v&count=1")
    assert r.status_code == 204 and r.data == b""
    r = client.get(f"/ez?ezkey={account.ezkey}&stat=v&count=1&vb=1")
    assert r.status_code == 200 and r.data == b'{"status":200,"msg":"ok"}'
    assert rollup(db, ez_stat(db, account, "v")["id"], MINUTE, NOW - NOW % 60)[1] == 2


def test_counters_are_summed_and_values_averaged_per_bucket(ingest, db, account):
    for n in (1, 2, 3.5):
        ingest.get(f"/ez?ezkey={account.ezkey}&stat=c&count={n}&t={T + 5}")
    for v in (10, 20, 60):
        ingest.get(f"/ez?ezkey={account.ezkey}&stat=v&value={v}&t={T + 7}")
    assert rollup(db, ez_stat(db, account, "c")["id"], MINUTE, T) == (6.5, 3, 1.0, 3.5)
    total, n, lo, hi = rollup(db, ez_stat(db, account, "v")["id"], MINUTE, T)
    assert (total / n, lo, hi) == (30.0, 10.0, 60.0)


def test_a_stats_kind_is_fixed_by_its_first_datum(ingest, db, account):
    ingest.get(f"/ez?ezkey={account.ezkey}&stat=k&value=5&t={T}")
    assert ingest.get(f"/ez?ezkey={account.ezkey}&stat=k&count=1&t={T}").status_code == 200
    stat = ez_stat(db, account, "k")
    assert stat["kind"] == "value"
    assert rollup(db, stat["id"], MINUTE, T) == (6.0, 2, 1.0, 5.0)


def test_float_t_is_truncated_and_missing_t_means_receive_time(ingest, db, account, clock):
    ingest.get(f"/ez?ezkey={account.ezkey}&stat=ft&count=1&t={T + 59.9}")
    assert rollup(db, ez_stat(db, account, "ft")["id"], MINUTE, T) == (1.0, 1, 1.0, 1.0)
    ingest.get(f"/ez?ezkey={account.ezkey}&stat=now&count=1")
    assert rollup(db, ez_stat(db, account, "now")["id"], MINUTE, NOW - NOW % 60) == (1.0, 1, 1.0, 1.0)


def test_fractional_counts_are_kept(ingest, db, account):
    ingest.get(f"/ez?ezkey={account.ezkey}&stat=dollars&count=9.95&t={T}")
    assert rollup(db, ez_stat(db, account, "dollars")["id"], MINUTE, T)[0] == pytest.approx(9.95)


def test_exponent_counts_from_the_go_client_are_numbers(ingest, db, account):
    # Go's FormatFloat(v, 'g', -1, 64) writes a million as 1e+06.
    assert ingest.get(f"/ez?ezkey={account.ezkey}&stat=big&count=1e%2B06&t={T}").status_code == 200
    assert ingest.get(f"/ez?ezkey={account.ezkey}&stat=big&count=1.5e%2B14&t={T}").status_code == 200
    assert rollup(db, ez_stat(db, account, "big")["id"], MINUTE, T)[0] == 1e6 + 1.5e14


@pytest.mark.parametrize(
    "query, msg",
    [
        ("stat=x&count=1", "missing ezkey"),
        ("ezkey={ezkey}&count=1", "missing stat"),
        ("ezkey={ezkey}&stat=x", "missing count or value"),
        ("ezkey={ezkey}&stat=x&count=abc", "count must be a number, got 'abc'"),
        ("ezkey={ezkey}&stat=x&value=nan", "value must be a finite number"),
        ("ezkey={ezkey}&stat=x&value=inf", "value must be a finite number"),
        ("ezkey={ezkey}&stat=x&count=-Infinity", "count must be a finite number"),
        ("ezkey={ezkey}&stat=%20%20&count=1", "stat name is empty"),
        ("ezkey={ezkey}&stat=" + "n" * 256 + "&count=1", "stat name is longer than 255 characters"),
        ("ezkey={ezkey}&stat=bad%01name&count=1", "stat name contains control characters"),
        ("ezkey={ezkey}&stat=a~b~c&count=1", "stat name may hold one ~ only"),
        ("ezkey={ezkey}&stat=p~%20,%20&count=1", "no stat names after ~"),
        ("ezkey={ezkey}&stat=x&count=1&value=2", "send count or value, not both"),
        ("ezkey={ezkey}&stat=x&count=1&t=abc", "t must be a number, got 'abc'"),
        ("ezkey={ezkey}&stat=x&count=1&t=1795966200000",
         "t is more than 1 day in the future: send unix seconds, not milliseconds"),
        ("ezkey={ezkey}&stat=x&count=1&t=-5", "t is more than 1096 days in the past: send unix seconds"),
        ("ezkey={ezkey}&stat=x&count=1e21", "count must be between -1e15 and 1e15"),
    ],
)
def test_bad_input_gets_a_clear_400_and_stores_nothing(ingest, db, account, query, msg):
    r = ingest.get("/ez?" + query.format(ezkey=account.ezkey))
    assert r.status_code == 400
    assert r.get_json() == {"status": 400, "msg": msg}
    assert count_rows(db, "stats") == 0
    assert count_rows(db, "rollups") == 0


def test_a_name_of_exactly_255_characters_is_accepted(ingest, db, account):
    name = "n" * 255
    assert ingest.get(f"/ez?ezkey={account.ezkey}&stat={name}&count=1").status_code == 200
    assert stat_names(db, account.id) == [name]


def test_unknown_ezkey_is_refused_with_invalid_keys(ingest, db, account):
    r = ingest.post("/ez", data={"ezkey": "nobody@example.com", "stat": "x", "count": "1"})
    assert r.status_code == 403
    assert r.get_json() == {"status": 403, "msg": "invalid keys"}
    assert count_rows(db, "stats") == 0


def test_ez_api_turned_off_refuses_posts(ingest, db, account):
    from app.storage import accounts as aq

    db.run(lambda tx: aq.update_account(tx, account.id, ez_enabled=0))
    r = ingest.get(f"/ez?ezkey={account.ezkey}&stat=x&count=1")
    assert r.status_code == 403
    assert "turned off" in r.get_json()["msg"]
    assert count_rows(db, "stats") == 0


# -- classic API -----------------------------------------------------------------------------


@pytest.fixture
def classic(db, account):
    counter = create_stat(db, account.email, "classic counter", "counter", NOW)
    value = create_stat(db, account.email, "classic value", "value", NOW)
    return counter, value


def test_classic_counter_and_value_by_key(ingest, db, account, classic):
    counter, value = classic
    r = ingest.post("/c", data={"ukey": account.ukey, "key": counter["classic_key"], "count": "4", "t": T})
    assert r.status_code == 200
    r = ingest.get(f"/v?ukey={account.ukey}&key={value['classic_key']}&value=2.5&t={T}")
    assert r.status_code == 200
    assert rollup(db, counter["id"], MINUTE, T) == (4.0, 1, 4.0, 4.0)
    assert rollup(db, value["id"], MINUTE, T) == (2.5, 1, 2.5, 2.5)


def test_classic_count_defaults_to_1_and_accepts_value_as_count(ingest, db, account, classic):
    counter, _ = classic
    ingest.get(f"/c?ukey={account.ukey}&key={counter['classic_key']}&t={T}")
    ingest.get(f"/c?ukey={account.ukey}&key={counter['classic_key']}&value=2&t={T}")
    assert rollup(db, counter["id"], MINUTE, T) == (3.0, 2, 1.0, 2.0)


@pytest.mark.parametrize("which", ["wrong ukey", "wrong key", "missing ukey", "other account's ukey"])
def test_classic_bad_keys_answer_invalid_keys_and_store_nothing(ingest, db, account, other_account, classic, which):
    counter, _ = classic
    ukey, key = account.ukey, counter["classic_key"]
    if which == "wrong ukey":
        ukey = "x" * 28
    elif which == "wrong key":
        key = "y" * 28
    elif which == "missing ukey":
        ukey = ""
    else:
        ukey = other_account.ukey
    r = ingest.get(f"/c?ukey={ukey}&key={key}&count=1&t={T}")
    assert r.status_code == 403
    assert r.get_json() == {"status": 403, "msg": "invalid keys"}
    assert count_rows(db, "rollups") == 0


def test_classic_value_without_a_value_is_refused(ingest, db, account, classic):
    _, value = classic
    r = ingest.get(f"/v?ukey={account.ukey}&key={value['classic_key']}")
    assert r.status_code == 400 and r.get_json()["msg"] == "missing value"
    assert count_rows(db, "rollups") == 0


# -- JSON bulk -------------------------------------------------------------------------------


def post_json(ingest, doc):
    body = doc if isinstance(doc, (bytes, str)) else json.dumps(doc)
    return ingest.post("/ez", data=body, content_type="application/json")


def test_json_bulk_stores_every_item_and_counts_a_tilde_item_once(ingest, db, account):
    r = post_json(ingest, {"ezkey": account.ezkey, "data": [
        {"stat": "page view", "count": 2, "t": T},
        {"stat": "messages sent~total,female,europe", "count": 1, "t": T},
        {"stat": "request time~total,messages", "value": 23.094, "t": T},
        {"stat": "ws0: load average", "value": 0.732, "t": T + 0.9},
    ]})
    assert r.status_code == 200
    assert r.get_json() == {"status": 200, "msg": "ok", "multiple": 4}
    assert stat_names(db, account.id) == sorted([
        "page view", "messages sent total", "messages sent female", "messages sent europe",
        "request time total", "request time messages", "ws0: load average"])
    assert rollup(db, ez_stat(db, account, "request time messages")["id"], MINUTE, T) == (23.094, 1, 23.094, 23.094)


def test_json_bulk_lists_rejected_items_and_keeps_the_good_ones(ingest, db, account):
    r = post_json(ingest, {"ezkey": account.ezkey, "data": [
        {"stat": "good", "count": 1, "t": T},
        {"stat": "bad", "count": "many"},
        "not an object",
        {"stat": "", "value": 1},
        {"stat": "nan", "value": float("nan")},
    ]})
    assert r.status_code == 200
    body = r.get_json()
    assert body["multiple"] == 1
    assert [x["index"] for x in body["rejected"]] == [1, 2, 3, 4]
    assert body["rejected"][0]["msg"] == "count must be a number, got 'many'"
    assert stat_names(db, account.id) == ["good"]


def test_json_bulk_with_no_valid_item_is_a_400_and_stores_nothing(ingest, db, account):
    r = post_json(ingest, {"ezkey": account.ezkey, "data": [{"stat": "x"}]})
    assert r.status_code == 400
    assert r.get_json()["rejected"] == [{"index": 0, "msg": "missing count or value"}]
    assert count_rows(db, "stats") == 0


@pytest.mark.parametrize("body, msg", [
    (b"{not json", "malformed JSON body"),
    (b"[1, 2]", "the JSON body must be an object with ezkey and data"),
    (b'{"ezkey": "k", "data": {"stat": "x"}}', "data must be a list"),
    (b'{"ezkey": "k"}', "data must be a list"),
    (b"\xff\xfe", "malformed JSON body"),
])
def test_malformed_json_bulk_is_a_clear_400(ingest, db, account, body, msg):
    r = post_json(ingest, body)
    assert r.status_code == 400
    assert r.get_json() == {"status": 400, "msg": msg}
    assert count_rows(db, "stats") == 0


def test_json_bulk_with_an_unknown_ezkey_is_refused(ingest, db, account):
    r = post_json(ingest, {"ezkey": "nobody", "data": [{"stat": "x", "count": 1}]})
    assert r.status_code == 403 and r.get_json()["msg"] == "invalid keys"
    assert count_rows(db, "stats") == 0


def test_bodies_over_4_mib_get_413_and_store_nothing(ingest, db, account):
    big = json.dumps({"ezkey": account.ezkey, "data": [{"stat": "x" * 200, "count": 1}] * 25000})
    assert len(big) > 4 * 1024 * 1024
    r = post_json(ingest, big)
    assert r.status_code == 413
    assert r.get_json()["status"] == 413
    r = ingest.post("/ez", data=b"ezkey=a&stat=" + b"x" * (4 * 1024 * 1024 + 10) + b"&count=1",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413
    assert count_rows(db, "stats") == 0


def test_unknown_paths_answer_json_404(ingest):
    r = ingest.get("/nope")
    assert r.status_code == 404 and r.get_json() == {"status": 404, "msg": "not found"}


def test_health_and_ping(ingest):
    assert ingest.get("/healthz").get_json() == {"status": "ok", "database": ingest.application.extensions[
        "eyrie.db"].dialect}
    assert ingest.get("/").status_code == 200


def test_optional_per_key_rate_limit_answers_429(config, db, clock, account):
    from dataclasses import replace

    from app.ingest import create_ingest_app

    client = create_ingest_app(replace(config, ingest_rate_limit=3), db, clock).test_client()
    codes = [client.get(f"/ez?ezkey={account.ezkey}&stat=r&count=1&t={T}").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert client.get(f"/ez?ezkey={account.ezkey}&stat=r&count=1").get_json() == {
        "status": 429, "msg": "rate limit exceeded"}
    assert rollup(db, ez_stat(db, account, "r")["id"], MINUTE, T)[1] == 3


def test_the_stat_name_cache_never_posts_to_a_renamed_or_purged_stat(ingest, db, account):
    from app.interactors.stats import purge_trash, trash_stats
    from app.storage import stats as sq

    ingest.get(f"/ez?ezkey={account.ezkey}&stat=cached&count=1&t={T}")  # fills the cache
    first = ez_stat(db, account, "cached")
    db.run(lambda tx: sq.update_stat(tx, account.id, first["id"], name="renamed"))
    ingest.get(f"/ez?ezkey={account.ezkey}&stat=cached&count=2&t={T}")
    second = ez_stat(db, account, "cached")
    assert second["id"] != first["id"]
    assert rollup(db, first["id"], MINUTE, T) == (1.0, 1, 1.0, 1.0)
    assert rollup(db, second["id"], MINUTE, T) == (2.0, 1, 2.0, 2.0)
    trash_stats(db, account.id, [second["id"]], NOW)
    purge_trash(db, NOW + 49 * 3600)
    ingest.get(f"/ez?ezkey={account.ezkey}&stat=cached&count=3&t={T}")
    third = ez_stat(db, account, "cached")
    assert third["id"] not in (first["id"], second["id"])
    assert rollup(db, third["id"], MINUTE, T) == (3.0, 1, 3.0, 3.0)
    assert rollup(db, second["id"], MINUTE, T) is None  # nothing written for the purged stat


def test_a_bulk_post_creating_more_stats_than_one_insert_holds_maps_every_point_to_its_stat(ingest, db, account):
    # 1,201 new stats: three multi-row INSERTs (500 a statement), ids read back by name.
    items = [{"stat": f"many {i:04d}", "count": i + 1, "t": T} for i in range(1201)]
    items += [{"stat": f"value {i}", "value": 0.5 + i, "t": T} for i in range(3)]
    r = ingest.post("/ez", json={"ezkey": account.ezkey, "data": items})
    assert r.status_code == 200 and r.get_json()["multiple"] == 1204
    rows = db.read(lambda tx: tx.all("SELECT name, kind, ez_created FROM stats WHERE account_id = ?", (account.id,)))
    assert len(rows) == 1204 and all(r["ez_created"] == 1 for r in rows)
    for i in (0, 499, 500, 999, 1000, 1200):
        stat = ez_stat(db, account, f"many {i:04d}")
        assert stat["kind"] == "counter"
        assert rollup(db, stat["id"], MINUTE, T) == (float(i + 1), 1, float(i + 1), float(i + 1))
    assert ez_stat(db, account, "value 2")["kind"] == "value"
    assert rollup(db, ez_stat(db, account, "value 2")["id"], MINUTE, T) == (2.5, 1, 2.5, 2.5)


def test_a_bulk_body_still_uploading_does_not_count_as_a_request_in_flight(ingest, db, account):
    """The writer waits for the requests in flight to share a commit: one whose body is still on
    the wire (granian streams bodies) must not be among them, or it would hold every commit."""
    import threading

    body = json.dumps({"ezkey": account.ezkey, "data": [{"stat": "slow", "count": 2, "t": NOW - 60}]}).encode()
    released, reading = threading.Event(), threading.Event()
    inside: list[int] = []

    class SlowUpload:
        """A body whose first byte comes only once the test has looked."""

        def __init__(self):
            self.sent = 0

        def tell(self):  # werkzeug's test client measures the body by seeking to its end and back
            return self.sent

        def seek(self, pos, whence=0):
            self.sent = len(body) if whence == 2 else pos
            return self.sent

        def read(self, n=-1):
            if self.sent == 0:
                reading.set()
                released.wait(5)
            n = len(body) - self.sent if n is None or n < 0 else min(n, len(body) - self.sent)
            chunk = body[self.sent:self.sent + n]
            self.sent += len(chunk)
            return chunk

    replies = []
    t = threading.Thread(target=lambda: replies.append(ingest.post(
        "/ez", input_stream=SlowUpload(), content_type="application/json",
        content_length=len(body))))
    t.start()
    assert reading.wait(5)
    inside.append(db.writer._queue._inside)       # mid-upload
    released.set()
    t.join(5)
    assert inside == [0]
    assert replies[0].status_code == 200 and replies[0].get_json()["multiple"] == 1
    assert rollup(db, stat_row(db, account.id, "slow")["id"], MINUTE, NOW - 60 - (NOW - 60) % 60)[0] == 2.0
