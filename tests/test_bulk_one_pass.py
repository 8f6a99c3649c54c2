"""The one-pass bulk path (interactors.ingest._record_known) answers and stores exactly what the
general path does. It takes a JSON bulk body whole or not at all, so for any body two accounts in
one database, one allowed the one-pass path and one not, must end with the same reply and the same
stored rows. On SQLite and MariaDB."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import EyrieError, Forbidden
from app.interactors import ingest
from app.interactors.accounts import add_ezkey, create_account, delete_ezkey, update_preferences
from app.interactors.ingest import record_ez_json
from app.rollups import DAY, MINUTE
from app.storage import accounts as aq
from tests.conftest import NOW

KNOWN = ["a", "b", "c d"]
_n = itertools.count()


@pytest.fixture
def taken(monkeypatch):
    """Patches _record_known: the keys in `taken.off` never get the one-pass path; `taken.log`
    records, per call, whether the one-pass path took the body."""

    class Spy:
        off: set[str] = set()
        log: list[bool] = []

    real = ingest._record_known

    def spy(db, ezkey, *args):
        out = None if ezkey in Spy.off else real(db, ezkey, *args)
        Spy.log.append(out is not None)
        return out

    monkeypatch.setattr(ingest, "_record_known", spy)
    Spy.off, Spy.log = set(), []
    return Spy


def _stored(db, account_id: int) -> dict:
    db.writer.idle()  # the folds the writes asked for are done
    rows = db.read(lambda tx: tx.all(
        "SELECT s.name, r.res, r.ts, r.total, r.n, r.lo, r.hi FROM rollups r JOIN stats s ON s.id = r.stat_id"
        " WHERE s.account_id = ?", (account_id,)))
    return {(r["name"], r["res"], r["ts"]): (r["total"], r["n"], r["lo"], r["hi"]) for r in rows}


def _answer(db, ezkey: str, data: list):
    try:
        r = record_ez_json(db, ezkey, data, NOW)
    except EyrieError as exc:
        return type(exc).__name__, exc.msg
    return r.accepted, r.rejected, r.rejected_count, sorted(s["name"] for s in r.created)


_T = NOW - NOW % MINUTE
# Bodies of items the one-pass path takes with one edge case put in: each edge case must send the
# whole body the general way (or be taken exactly as the general way would take it).
usual_numbers = st.one_of(st.integers(-10, 10), st.floats(-1e3, 1e3))
usual = st.tuples(st.sampled_from(KNOWN), st.sampled_from(["count", "value"]), usual_numbers,
                  st.one_of(st.none(), st.integers(_T - 7200, _T + 120))).map(
    lambda x: {"stat": x[0], x[1]: x[2], **({} if x[3] is None else {"t": x[3]})})
EDGES = [
    *({"t": t} for t in (NOW - 1096 * DAY, NOW - 1096 * DAY - 1, NOW + DAY, NOW + DAY + 1, float(_T), str(_T),
                         True, -1, None)),
    *({"count": c} for c in (10**15, 10**15 + 1, -10**15, -10**15 - 1, 1e15, 1.0000000000000002e15, 2**62,
                             float("inf"), float("-inf"), float("nan"), True, False, None, "3", [])),
    {"count": 1, "value": 2}, {"count": None, "value": None},
    *({"stat": n} for n in ("new one", "x~y,z", "", " a", "a ", "a" * 256, None, 7, "A")),
]


def _with_edge(x):
    body, item, edge, at = x
    if edge == "not an object":
        odd = item["stat"]
    else:
        odd = {k: v for k, v in item.items() if not ("count" in edge and k == "value")} | edge
    return body[:at] + [odd] + body[at:]


edged = st.tuples(st.lists(usual, max_size=5), usual, st.sampled_from([*EDGES, "not an object"]),
                  st.integers(0, 5)).map(_with_edge)
bodies_of = st.lists(st.one_of(edged, edged, st.lists(usual, min_size=1, max_size=5)), min_size=1, max_size=3)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=bodies_of)
def test_any_bulk_body_gets_the_same_answer_and_stored_rows_with_or_without_the_one_pass_path(db, taken, bodies):
    n = next(_n)  # hypothesis runs every example against the same database: fresh accounts
    one = create_account(db, f"one{n}@example.com", "password-one", NOW)
    other = create_account(db, f"other{n}@example.com", "password-two", NOW)
    taken.off = {other.ezkey}
    for acct in (one, other):  # both accounts cached, their stats known
        assert _answer(db, acct.ezkey, [{"stat": n, "count": 1, "t": _T} for n in KNOWN])[0] == len(KNOWN)
    for data in bodies:
        assert _answer(db, one.ezkey, data) == _answer(db, other.ezkey, data)
    assert _stored(db, one.id) == _stored(db, other.id)


def test_a_usual_body_takes_the_one_pass_path_and_stores_every_point(db, taken):
    acct = create_account(db, "ann@example.com", "password-ann", NOW)
    first = [{"stat": n, "count": 2, "t": _T} for n in KNOWN]
    assert _answer(db, acct.ezkey, first) == (3, [], 0, KNOWN)  # creates them: the general path
    body = [{"stat": "a", "count": 1.5, "t": _T}, {"stat": "a", "value": -4, "t": _T + 30}, {"stat": "b", "count": 3},
            {"stat": "c d", "value": 10**15, "t": _T - 3600}]
    assert _answer(db, acct.ezkey, body) == (4, [], 0, [])
    assert taken.log == [False, True]
    stored = _stored(db, acct.id)
    assert stored[("a", MINUTE, _T)] == (-0.5, 3, -4.0, 2.0)  # 2, then 1.5 and -4 in one minute
    assert stored[("b", MINUTE, _T)] == (5.0, 2, 2.0, 3.0)  # t absent: now
    assert stored[("c d", MINUTE, _T - 3600)] == (1e15, 1, 1e15, 1e15)


def test_one_item_the_rules_must_judge_sends_the_whole_body_the_general_way(db, taken):
    acct = create_account(db, "ann@example.com", "password-ann", NOW)
    _answer(db, acct.ezkey, [{"stat": n, "count": 1, "t": _T} for n in KNOWN])
    for odd in ({"stat": "new stat", "count": 1}, {"stat": "a", "count": "2"}, {"stat": "a", "count": True},
                {"stat": "a", "count": 1, "t": float(_T)}, {"stat": "a~x", "count": 1}, {"stat": "a"}, 5):
        taken.log.clear()
        answer = _answer(db, acct.ezkey, [{"stat": "a", "count": 1}, odd])
        assert taken.log == [False], odd
        assert answer[0] in (1, 2)


@pytest.mark.parametrize("change", ["delete the key", "turn the EZ API off"])
def test_a_change_made_by_another_process_refuses_the_next_bulk_post_on_the_one_pass_path(db, taken, db_url, change):
    from app.storage.db import Database

    acct = create_account(db, "ann@example.com", "password-ann", NOW)
    add_ezkey(db, acct.id, "second-key", NOW)
    assert _answer(db, "second-key", [{"stat": "k", "count": 1, "t": _T}])[0] == 1
    assert _answer(db, "second-key", [{"stat": "k", "count": 1, "t": _T}])[0] == 1
    assert taken.log == [False, True]  # the second post went the one-pass way: account and stat cached
    second = Database(db_url)  # the web process: its own connections, its own caches
    try:
        if change == "delete the key":
            key_id = next(k["id"] for k in second.read(lambda tx: aq.ezkeys(tx, acct.id)) if k["ezkey"] == "second-key")
            delete_ezkey(second, acct.id, key_id)
        else:
            update_preferences(second, acct.id, ez_enabled=False)
    finally:
        second.close()
    with pytest.raises(Forbidden):
        record_ez_json(db, "second-key", [{"stat": "k", "count": 1, "t": _T}], NOW)
    assert _stored(db, acct.id)[("k", MINUTE, _T)] == (2.0, 2, 1.0, 1.0)  # nothing of the refused post
