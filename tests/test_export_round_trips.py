"""The export API's data read of a minute timeframe is one round trip to MariaDB (the token check
and the minute rows in one script), and the same buckets as the read in two: with the account's
own zone, through the token only, and falling back to a read of its own where the zone moves the
timeframe's edges."""

from __future__ import annotations

import pymysql
import pytest

from app.interactors.ingest import EzItem, record_ez
from app.storage import accounts as aq
from app.storage import stats as sq
from tests.conftest import NOW
from tests.helpers import stat_row

M = 60


@pytest.fixture
def hits(db, account):
    # 1 per minute for the last 3 hours, the newest at NOW (hh:30).
    record_ez(db, account.ezkey, [EzItem(stat="hits", count=1, t=NOW - k * M) for k in range(180)], NOW, bulk=True)
    return stat_row(db, account.id, "hits")


@pytest.fixture
def commands(db, monkeypatch):
    """The commands this process sends to MariaDB (each one a round trip), counted as pymysql
    sends them; None on SQLite."""
    if db.dialect != "mysql":
        return None
    sent: list[int] = []
    real = pymysql.connections.Connection._execute_command

    def counting(self, command, sql):
        sent.append(command)
        return real(self, command, sql)

    monkeypatch.setattr(pymysql.connections.Connection, "_execute_command", counting)
    return sent


def test_a_minute_timeframe_is_read_in_one_round_trip(web, account, hits, commands):
    if commands is None:
        pytest.skip("round trips to MariaDB")
    web.get(f"/x/{account.access_token}/statlist")  # a pooled connection, opened before counting
    commands.clear()
    r = web.get(f"/x/{account.access_token}/data/{hits['id']}?t=1h1m")
    assert r.status_code == 200
    assert len(commands) == 1
    [ds] = r.get_json()
    points = ds["points"]
    assert [p["time"] for p in points] == [NOW - NOW % M - k * M for k in range(len(points) - 1, -1, -1)]
    assert {p["value"] for p in points} == {1} and {p["count"] for p in points} == {1}


def test_a_zone_that_moves_the_edges_reads_its_own_rows(web, db, account, commands):
    # From 13:00 PDT on 31 Oct 2026 a day in Los Angeles is 25 hours (summer time ended on 1 Nov),
    # against 24 in UTC: the span the timeframe has in UTC is not this account's, so the rows read
    # with the token go unused and the read takes its own.
    db.run(lambda tx: aq.update_account(tx, account.id, timezone="America/Los_Angeles"))
    start = 1793476800  # 20:00 UTC
    record_ez(db, account.ezkey, [EzItem(stat="dst", count=1, t=start + k * M) for k in range(26 * 60)], NOW,
              bulk=True)
    sid = stat_row(db, account.id, "dst")["id"]
    web.get(f"/x/{account.access_token}/statlist")  # a pooled connection, opened before counting
    if commands is not None:
        commands.clear()
    [ds] = web.get(f"/x/{account.access_token}/data/{sid}?t=1d30m&start={start}").get_json()
    if commands is not None:
        assert len(commands) == 2
    assert [p["time"] for p in ds["points"]] == list(range(start, start + 25 * 3600, 1800))
    assert {p["value"] for p in ds["points"]} == {30}


def test_the_minute_rows_come_only_through_the_token(db, account, other_account, hits):
    record_ez(db, other_account.ezkey, [EzItem(stat="theirs", count=5, t=NOW)], NOW, bulk=True)
    theirs = stat_row(db, other_account.id, "theirs")["id"]
    span = (NOW - NOW % M - 10 * M, NOW - NOW % M + M)

    acc, stats, minutes = db.read(lambda tx: sq.stats_by_token(tx, account.access_token, [hits["id"], theirs], span))
    assert acc["id"] == account.id and set(stats) == {hits["id"]}
    if db.dialect == "mysql":
        assert set(minutes) == {hits["id"]}
        assert [r[0] for r in minutes[hits["id"]]] == list(range(span[0], span[1], M))
        assert {r[1:3] for r in minutes[hits["id"]]} == {(1, 1)}
    else:
        assert minutes is None  # SQLite: the caller reads them, no round trip is saved

    acc, stats, minutes = db.read(lambda tx: sq.stats_by_token(tx, "not-a-token", [hits["id"]], span))
    assert acc is None and stats == {} and minutes in (None, {})
