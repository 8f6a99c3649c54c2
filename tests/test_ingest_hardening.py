"""Issue 8, ingest side: no input breaks ingest, and no account's posts can make another's fail.

Every refusal is checked against stored state (nothing changed), on SQLite and MariaDB.
"""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import quote_from_bytes

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import Invalid
from app.interactors.accounts import create_account
from app.rollups import DAY, HOUR, MINUTE, RollupBatch
from app.storage.writer import PointWriter, _Job
from tests.conftest import NOW
from tests.helpers import count_rows, rollup, stat_names, stat_row
from tests.support.server import EyrieServer

T = NOW - NOW % 60 - 3600


# -- 1. one request's rows never fail another's ------------------------------------------------------


def _poison(db, stat_id: int) -> float:
    """A stored bucket the next bad batch cannot be added to, as earlier versions could leave one:
    near the largest DOUBLE on MariaDB (the sum overflows: error 1690), +inf on SQLite (adding -inf
    gives NaN, which SQLite stores as NULL: NOT NULL fails). Returns the value a bad batch adds."""
    total, bad = (float("inf"), float("-inf")) if db.dialect == "sqlite" else (1.7e308, 1.7e308)
    sql = "INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES (?, ?, ?, ?, 1, ?, ?)"
    db.run(lambda tx: tx.execute(sql, (stat_id, MINUTE, T, total, total, total)))
    return bad


def _batch(stat_id: int, values, t: int = T) -> RollupBatch:
    batch = RollupBatch()
    for v in values:
        batch.add(stat_id, t, v)
    return batch


def test_a_commit_shared_with_a_refused_batch_still_commits_every_other_batch_once(db):
    bad_value = _poison(db, 99)
    writer = PointWriter(db)
    try:
        jobs = [_Job(_batch(1, [1.0, 2.0])), _Job(_batch(99, [bad_value])), _Job(_batch(1, [4.0])),
                _Job(_batch(2, [5.0]))]
        writer._commit(jobs)  # what the writer thread does with requests queued together
    finally:
        writer.stop()
    assert [type(j.error) for j in jobs] == [type(None), Invalid, type(None), type(None)]
    assert jobs[1].error.status == 400 and "range" in jobs[1].error.msg
    assert rollup(db, 1, MINUTE, T) == (7.0, 3, 1.0, 4.0)  # committed exactly once
    assert rollup(db, 1, DAY, T - T % DAY) == (7.0, 3, 1.0, 4.0)
    assert rollup(db, 2, HOUR, T - T % HOUR) == (5.0, 1, 5.0, 5.0)
    assert rollup(db, 99, MINUTE, T)[1] == 1  # the refused batch left its stat as it was
    assert rollup(db, 99, HOUR, T - T % HOUR) is None


def test_a_refused_batch_alone_gets_a_4xx_not_the_database_error(db):
    bad_value = _poison(db, 99)
    with pytest.raises(Invalid):
        db.writer.write(_batch(99, [bad_value]))
    db.writer.write(_batch(1, [1.0]))  # the writer goes on
    assert rollup(db, 1, MINUTE, T) == (1.0, 1, 1.0, 1.0)
    assert rollup(db, 99, HOUR, T - T % HOUR) is None


@pytest.mark.server
def test_an_account_posting_huge_numbers_never_fails_another_accounts_posts(db, db_url, account, tmp_path):
    """The issue's case: on MariaDB `count=1e308` twice overflowed the shared commit's sum and one
    in three of another account's concurrent posts got a 500."""
    mallory = create_account(db, "mallory@example.com", "password-mallory", NOW)
    now = int(time.time())
    t = now - now % MINUTE - HOUR
    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest", threads=8).start()
    replies: dict[str, list[int]] = {"good": [], "bad": []}
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def post(who: str, ezkey: str, count: str) -> None:
        mine = []
        with requests.Session() as s:
            barrier.wait()
            for _ in range(40):
                r = s.post(server.url + "/ez", data={"ezkey": ezkey, "stat": "shared", "count": count, "t": str(t)},
                           timeout=30)
                mine.append(r.status_code)
        with lock:
            replies[who].extend(mine)

    threads = [threading.Thread(target=post, args=("good", account.ezkey, "1")) for _ in range(4)]
    threads += [threading.Thread(target=post, args=("bad", mallory.ezkey, "1e308")) for _ in range(2)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
    finally:
        server.stop()
    assert replies["good"] == [200] * 160
    assert replies["bad"] == [400] * 80
    stat = stat_row(db, account.id, "shared")
    assert rollup(db, stat["id"], MINUTE, t) == (160.0, 160, 1.0, 1.0)
    assert rollup(db, stat["id"], DAY, t - t % DAY) == (160.0, 160, 1.0, 1.0)
    assert stat_row(db, mallory.id, "shared") is None  # a refused post creates nothing


# -- 2. hostile values: a clear 400, nothing stored ----------------------------------------------------


def _nothing_stored(db) -> None:
    assert count_rows(db, "stats") == 0
    assert count_rows(db, "rollups") == 0


def _bulk(ingest, body: bytes):
    return ingest.post("/ez", data=body, content_type="application/json")


HUGE = "1" + "0" * 400  # a JSON integer float() cannot convert (OverflowError today)


@pytest.mark.parametrize("item, msg", [
    ('{"stat": "x", "count": ' + HUGE + "}", "count is out of range"),
    ('{"stat": "x", "value": -' + HUGE + "}", "value is out of range"),
    ('{"stat": "x", "count": 1, "t": ' + HUGE + "}", "t is out of range"),
    ('{"stat": "x", "count": 1e308}', "count must be between -1e15 and 1e15"),
    ('{"stat": "x", "value": -1.7e308}', "value must be between -1e15 and 1e15"),
    ('{"stat": "x", "count": 1e400}', "count must be a finite number"),  # JSON's 1e400 is inf
    ('{"stat": "x", "count": NaN}', "count must be a finite number"),
    ('{"stat": "x", "count": "1e999"}', "count must be a finite number"),
    ('{"stat": "bad \\ud800 name", "count": 1}', "stat name is not valid text (a lone UTF-16 surrogate)"),
    ('{"stat": "p~a,\\udfff", "count": 1}', "stat name is not valid text (a lone UTF-16 surrogate)"),
    ('{"stat": "x", "count": 1, "t": 1}', "t is more than 1096 days in the past: send unix seconds"),
    (f'{{"stat": "x", "count": 1, "t": {NOW + 86400 + 1}}}',
     "t is more than 1 day in the future: send unix seconds, not milliseconds"),
    (f'{{"stat": "x", "count": 1, "t": {NOW * 1000}}}',
     "t is more than 1 day in the future: send unix seconds, not milliseconds"),
    ('{"stat": "x", "count": 1, "t": [1]}', "t must be a number"),
    ('{"stat": ["x"], "count": 1}', "stat must be a string"),
])
def test_hostile_bulk_items_are_refused_with_a_reason_and_store_nothing(ingest, db, account, item, msg):
    r = _bulk(ingest, f'{{"ezkey": "{account.ezkey}", "data": [{item}]}}'.encode())
    assert r.status_code == 400
    assert r.get_json() == {"status": 400, "msg": "no valid items", "multiple": 0,
                            "rejected": [{"index": 0, "msg": msg}], "rejected_count": 1}
    _nothing_stored(db)


@pytest.mark.parametrize("body, msg", [
    (b'{"ezkey": "a\\ud800", "data": [{"stat": "x", "count": 1}]}',
     "ezkey is not valid text (a lone UTF-16 surrogate)"),
    (b"[" * 100_000 + b"]" * 100_000, "malformed JSON body: nested too deeply"),
    (b'{"ezkey": "k", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "malformed JSON body: nested too deeply"),
    (b'{"ezkey": "k", "data": [{"stat": "x", "count": 1' + b"0" * 5000 + b'}]}', "malformed JSON body"),
])
def test_hostile_bulk_bodies_are_refused_with_a_clear_400(ingest, db, account, body, msg):
    r = _bulk(ingest, body)
    assert r.status_code == 400
    assert r.get_json() == {"status": 400, "msg": msg}
    _nothing_stored(db)


def test_numbers_at_the_bounds_are_accepted_and_stored_exactly(ingest, db, account):
    items = [{"stat": "edge", "value": 1e15, "t": NOW - 1096 * 86400}, {"stat": "edge", "value": -1e15, "t": NOW},
             {"stat": "edge", "value": 10**15, "t": NOW + 86400}]
    r = _bulk(ingest, json.dumps({"ezkey": account.ezkey, "data": items}).encode())
    assert r.status_code == 200 and r.get_json()["multiple"] == 3
    sid = stat_row(db, account.id, "edge")["id"]
    assert rollup(db, sid, DAY, NOW - 1096 * 86400 - (NOW - 1096 * 86400) % DAY) == (1e15, 1, 1e15, 1e15)
    assert rollup(db, sid, MINUTE, NOW) == (-1e15, 1, -1e15, -1e15)
    assert rollup(db, sid, MINUTE, NOW + 86400) == (1e15, 1, 1e15, 1e15)


@pytest.mark.parametrize("query, msg", [
    ("stat=x&count=1e308", "count must be between -1e15 and 1e15"),
    ("stat=x&value=-" + HUGE, "value must be a finite number"),  # text: float() gives inf
    ("stat=x&count=1&t=" + HUGE, "t is more than 1 day in the future: send unix seconds, not milliseconds"),
    ("stat=x&count=1&t=-" + HUGE, "t is more than 1096 days in the past: send unix seconds"),
    ("stat=x&count=1&t=1", "t is more than 1096 days in the past: send unix seconds"),
    ("stat=x&count=1&t=nan", "t must be a unix time in seconds"),
    ("stat=x&count=%C2%B2", "count must be a number, got '²'"),
])
def test_hostile_form_values_are_refused_on_every_endpoint(ingest, db, account, query, msg):
    from app.interactors.stats import create_stat

    r = ingest.post("/ez", data=f"ezkey={account.ezkey}&{query}".encode(),
                    content_type="application/x-www-form-urlencoded")
    assert (r.status_code, r.get_json()) == (400, {"status": 400, "msg": msg})
    assert ingest.get(f"/ez?ezkey={account.ezkey}&{query}").get_json()["msg"] == msg
    key = create_stat(db, account.email, "classic", "counter", NOW)["classic_key"]
    number = query.split("&", 1)[1]
    for path in ("/c", "/v"):
        r = ingest.get(f"{path}?ukey={account.ukey}&key={key}&{number.replace('count=', 'value=')}")
        assert r.status_code == 400, (path, r.get_json())
    assert count_rows(db, "rollups") == 0
    assert stat_names(db, account.id) == ["classic"]


def test_a_t_in_1970_is_refused_so_history_starts_no_earlier_than_the_bound(ingest, db, account):
    r = ingest.get(f"/ez?ezkey={account.ezkey}&stat=old&count=1&t=1")
    assert r.status_code == 400
    _nothing_stored(db)


def test_the_backdate_bound_is_a_setting(config, db, clock, account):
    from dataclasses import replace

    from app.config import Config
    from app.ingest import create_ingest_app

    assert Config.from_env(env={"EYRIE_MAX_BACKDATE_DAYS": "30"}).limits.max_backdate_days == 30
    client = create_ingest_app(replace(config, max_backdate_days=30), db, clock).test_client()
    r = client.get(f"/ez?ezkey={account.ezkey}&stat=old&count=1&t={NOW - 31 * 86400}")
    assert r.get_json() == {"status": 400, "msg": "t is more than 30 days in the past: send unix seconds"}
    assert client.get(f"/ez?ezkey={account.ezkey}&stat=old&count=1&t={NOW - 29 * 86400}").status_code == 200
    assert rollup(db, stat_row(db, account.id, "old")["id"], MINUTE, NOW - 29 * 86400) == (1.0, 1, 1.0, 1.0)


# -- 3. a reply is never larger than its request --------------------------------------------------------


def test_a_megabyte_of_items_that_are_not_objects_gets_a_short_reply_and_stores_nothing(ingest, db, account):
    body = f'{{"ezkey": "{account.ezkey}", "data": [{"1," * 500_000}1]}}'.encode()  # 1 MB
    r = _bulk(ingest, body)
    assert r.status_code == 400
    doc = r.get_json()
    assert doc["msg"] == "no valid items" and doc["rejected_count"] == 500_001
    assert doc["rejected"] == [{"index": i, "msg": "an item must be an object with stat and count or value"}
                               for i in range(100)]
    assert len(r.data) < 16_000  # 100 reasons at most, whatever the body (it used to be 19 MB)
    _nothing_stored(db)


def test_good_items_among_many_bad_ones_are_stored_and_the_reply_stays_short(ingest, db, account):
    data = [{"stat": "good", "count": 1}] + [{"stat": "x", "count": "nope"}] * 5000 + [{"stat": "good", "count": 2}]
    r = _bulk(ingest, json.dumps({"ezkey": account.ezkey, "data": data}).encode())
    doc = r.get_json()
    assert r.status_code == 200 and doc["multiple"] == 2 and doc["rejected_count"] == 5000
    assert [x["index"] for x in doc["rejected"]] == list(range(1, 101))
    assert rollup(db, stat_row(db, account.id, "good")["id"], MINUTE, NOW - NOW % 60) == (3.0, 2, 1.0, 2.0)
    assert stat_names(db, account.id) == ["good"]


# -- 8. stat creation is bounded -------------------------------------------------------------------------


@pytest.fixture
def limited(config, db, clock):
    from dataclasses import replace

    from app.ingest import create_ingest_app

    return create_ingest_app(replace(config, max_stats=3), db, clock).test_client()


LIMIT_MSG = ("stat limit reached: an account may hold 3 stats (trash included), and this one would exceed it "
             "(setting EYRIE_MAX_STATS)")


def test_new_stats_beyond_the_accounts_limit_are_refused_per_item(limited, db, account, other_account):
    from app.config import Config

    assert Config.from_env(env={}).limits.max_stats == 10_000
    assert Config.from_env(env={"EYRIE_MAX_STATS": "7"}).limits.max_stats == 7
    data = [{"stat": f"s{i}", "count": 1} for i in range(5)] + [{"stat": "s0", "count": 5}]
    r = _bulk(limited, json.dumps({"ezkey": account.ezkey, "data": data}).encode())
    assert r.status_code == 200
    assert r.get_json() == {"status": 200, "msg": "ok", "multiple": 4, "rejected_count": 2,
                            "rejected": [{"index": 3, "msg": LIMIT_MSG}, {"index": 4, "msg": LIMIT_MSG}]}
    assert stat_names(db, account.id) == ["s0", "s1", "s2"]
    assert rollup(db, stat_row(db, account.id, "s0")["id"], MINUTE, NOW - NOW % 60) == (6.0, 2, 1.0, 5.0)
    # A single new stat: 403 naming the limit, nothing stored; existing stats still take data.
    r = limited.get(f"/ez?ezkey={account.ezkey}&stat=s9&count=1")
    assert (r.status_code, r.get_json()) == (403, {"status": 403, "msg": LIMIT_MSG})
    assert limited.get(f"/ez?ezkey={account.ezkey}&stat=s2&count=1").status_code == 200
    assert rollup(db, stat_row(db, account.id, "s2")["id"], MINUTE, NOW - NOW % 60)[1] == 2
    # A tilde item that would cross the limit is refused whole; another account has its own limit.
    r = limited.get(f"/ez?ezkey={account.ezkey}&stat=s~1,9&count=1")
    assert r.status_code == 403
    assert stat_names(db, account.id) == ["s0", "s1", "s2"]
    assert limited.get(f"/ez?ezkey={other_account.ezkey}&stat=s9&count=1").status_code == 200


def test_the_rejected_list_keeps_the_first_100_in_index_order_with_the_limit_ones(limited, db, account):
    data = ([{"stat": f"s{i}", "count": 1} for i in range(5)] + [{"stat": "x", "count": "bad"}] * 200)
    doc = _bulk(limited, json.dumps({"ezkey": account.ezkey, "data": data}).encode()).get_json()
    assert doc["multiple"] == 3 and doc["rejected_count"] == 202
    assert [r["index"] for r in doc["rejected"]] == list(range(3, 103))
    assert doc["rejected"][:2] == [{"index": 3, "msg": LIMIT_MSG}, {"index": 4, "msg": LIMIT_MSG}]


def test_trashed_stats_count_towards_the_limit_until_purged(limited, db, account):
    from app.interactors.stats import purge_trash, trash_stats

    _bulk(limited, json.dumps({"ezkey": account.ezkey, "data": [{"stat": f"s{i}", "count": 1}
                                                               for i in range(3)]}).encode())
    trash_stats(db, account.id, [stat_row(db, account.id, "s0")["id"]], NOW)
    assert limited.get(f"/ez?ezkey={account.ezkey}&stat=new&count=1").status_code == 403
    purge_trash(db, NOW + 49 * 3600)
    assert limited.get(f"/ez?ezkey={account.ezkey}&stat=new&count=1").status_code == 200
    assert stat_names(db, account.id) == ["new", "s1", "s2"]


def test_concurrent_posts_cannot_both_pass_the_stat_limit(db, account):
    from app.ingest_rules import Limits
    from app.interactors.ingest import EzItem, record_ez

    limits = Limits(max_stats=50)
    barrier = threading.Barrier(4)

    def post(k: int) -> None:
        barrier.wait()
        record_ez(db, account.ezkey, [EzItem(stat=f"t{k} {i}", count=1, t=NOW) for i in range(30)], NOW,
                  bulk=True, limits=limits)

    threads = [threading.Thread(target=post, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert count_rows(db, "stats") == 50


def test_the_new_stats_mail_names_the_first_20_and_counts_the_rest(db, config, account):
    from app.interactors import reports as rp
    from app.interactors.ingest import EzItem, record_ez
    from app.mail import read_outbox

    record_ez(db, account.ezkey, [EzItem(stat=f"stat {i:03}", count=1, t=NOW) for i in range(600)], NOW, bulk=True)
    assert rp.send_new_stat_mails(db, config, NOW) == {"mails": 1, "stats": 600}
    assert rp.send_new_stat_mails(db, config, NOW + 60) == {"mails": 0, "stats": 0}  # one mail for the burst
    [(_, msg)] = read_outbox(config.var_dir)
    assert msg["Subject"] == "[Eyrie] 600 new stats"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "600 new stats were created through the EZ API (the first 20 below)" in text
    assert "stat 019" in text and "stat 020" not in text and "and 580 more" in text
    assert "stat 019" in html and "stat 020" not in html and "and 580 more" in html
    assert len(text) < 8000 and len(html) < 20000


# -- property: nothing a client sends gets a 5xx, and a refusal changes nothing ------------------------

ODD_TEXT = ["1e308", "-1e308", "1e999", "-1e400", "nan", "inf", "-Infinity", "²", "١٢", "1_000", "0x10", " 5 ",
            "", " ", HUGE, "-" + HUGE, "1" * 5000, "\ud800", "\udfff", "a~b,c", "~", "p~,", "\x00", "\x7f", "t~a~b"]
ANY_NUMBER = st.one_of(
    st.integers(-(10**20), 10**20), st.integers(-(10**500), 10**500),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(ODD_TEXT), st.text(max_size=12),
    st.none(), st.booleans(), st.lists(st.integers(), max_size=2), st.just({}),
)
ANY_T = st.one_of(ANY_NUMBER, st.integers(NOW - 2000 * 86400, NOW + 3 * 86400))
GOOD_NAME = st.sampled_from(["a", "b", "p~x,y", "n" * 255])
ANY_NAME = st.one_of(GOOD_NAME, GOOD_NAME, st.sampled_from(ODD_TEXT + ["n" * 256]),
                     st.text(max_size=20), st.text(st.sampled_from(["\ud800", "a", "~", ",", " ", "\x01"]), max_size=6))
MAX_REPLY = 32 * 1024
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _stored(db) -> tuple:
    return db.read(lambda tx: (
        tx.all("SELECT stat_id, res, ts, total, n, lo, hi FROM rollups ORDER BY stat_id, res, ts"),
        tx.all("SELECT id, name, kind, deleted_at FROM stats ORDER BY id")))


def _as_text(v) -> str:
    return v if isinstance(v, str) else json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else str(v)


def _check(db, before, r) -> None:
    assert r.status_code < 500, r.data[:300]
    assert len(r.data) <= MAX_REPLY
    if r.status_code != 204:
        assert isinstance(r.get_json()["msg"], str)
    if r.status_code >= 400:
        assert _stored(db) == before, r.get_json()


@pytest.fixture
def classic_key(db, account):
    from app.interactors.stats import create_stat

    return create_stat(db, account.email, "classic", "counter", NOW)["classic_key"]


@PROPERTY
@given(data=st.data(), path=st.sampled_from(["/ez", "/c", "/v"]), how=st.sampled_from(["get", "form", "raw"]))
def test_property_form_and_query_parameters_never_get_a_5xx(ingest, db, account, classic_key, data, path, how):
    params = {}
    for field, strategy in (("ezkey", st.sampled_from([account.ezkey, "nobody", "", " " + account.ezkey, "\ud800"])),
                            ("ukey", st.sampled_from([account.ukey, "nope", ""])),
                            ("key", st.sampled_from([classic_key, "nope", ""])),
                            ("stat", ANY_NAME), ("count", ANY_NUMBER), ("value", ANY_NUMBER), ("t", ANY_T),
                            ("vb", st.sampled_from(["0", "1", "x"]))):
        if data.draw(st.booleans(), label=f"send {field}"):
            params[field] = _as_text(data.draw(strategy, label=field))
    encoded = {k: v.encode("utf-8", "surrogatepass") for k, v in params.items()}
    before = _stored(db)
    if how == "get":
        r = ingest.get(path + "?" + "&".join(f"{k}={quote_from_bytes(v)}" for k, v in encoded.items()))
    elif how == "form":
        r = ingest.post(path, data="&".join(f"{k}={quote_from_bytes(v)}" for k, v in encoded.items()),
                        content_type="application/x-www-form-urlencoded")
    else:  # unencoded, as the npm client sends it; a lone surrogate makes the body invalid UTF-8
        r = ingest.post(path, data=b"&".join(k.encode() + b"=" + v for k, v in encoded.items()),
                        content_type="application/x-www-form-urlencoded")
    _check(db, before, r)


ANY_ITEM = st.one_of(
    st.fixed_dictionaries({"stat": ANY_NAME, "count": ANY_NUMBER}, optional={"t": ANY_T}),
    st.fixed_dictionaries({"stat": ANY_NAME, "value": ANY_NUMBER}, optional={"t": ANY_T}),
    st.fixed_dictionaries({"stat": ANY_NAME}, optional={"count": ANY_NUMBER, "value": ANY_NUMBER, "t": ANY_T}),
    ANY_NUMBER, st.none(),
)


@PROPERTY
@given(data=st.data())
def test_property_json_bulk_bodies_never_get_a_5xx(ingest, db, account, data):
    def rarely(label: str) -> bool:  # hostile shapes one time in eight, so most bodies reach the items
        return data.draw(st.integers(0, 7), label=label) == 0

    ezkey = data.draw(st.one_of(st.sampled_from(["nobody", "", "\ud800"]), ANY_NUMBER)) if rarely("odd ezkey") \
        else account.ezkey
    items = data.draw(ANY_NUMBER, label="data") if rarely("odd data") else data.draw(st.lists(ANY_ITEM, max_size=8))
    doc = {"ezkey": ezkey, "data": items}
    if rarely("drop a key"):
        doc.pop(data.draw(st.sampled_from(["ezkey", "data"])))
    body = json.dumps(doc).encode()  # ensure_ascii: a lone surrogate travels as the \ud800 escape
    if rarely("truncate"):
        body = body[:data.draw(st.integers(0, len(body)))]
    before = _stored(db)
    r = _bulk(ingest, body)
    _check(db, before, r)
