"""Folding minute rows into hours and days (storage/points.py), and the per-process account cache
(interactors/ingest.py), on both backends.

The oracle is RollupBatch: every point added to its minute, hour and local day, which is what the
three-rows-per-point write path stored. Reads must match it whether or not a fold has run, after a
crash between the commit and the fold, for points behind the watermark, and across a timezone change.
"""

from __future__ import annotations

import random

import pytest

from app.errors import Forbidden
from app.interactors.accounts import add_ezkey, delete_ezkey, update_preferences
from app.interactors.ingest import EzItem, record_ez
from app.rollups import DAY, HOUR, MINUTE, MinuteBatch, RollupBatch
from app.storage import accounts as aq
from app.storage import points as pq
from app.storage.db import Database
from tests.conftest import BACKEND, NOW
from tests.helpers import stat_row, stored_rollup

BASE = NOW - NOW % DAY - 2 * DAY + 22 * HOUR  # 22:00 UTC two days ago: the points cross midnight


def _points(seed: int, n: int = 300) -> list[tuple[int, float]]:
    rnd = random.Random(seed)
    return [(BASE + rnd.randrange(0, 5 * HOUR), float(rnd.randint(-50, 50))) for _ in range(n)]


def _oracle(sid: int, points, tz: str) -> dict[tuple[int, int], tuple]:
    batch = RollupBatch()
    for ts, v in points:
        batch.add(sid, ts, v, tz)
    return {(res, ts): tuple(row) for (_, res, ts), row in batch.rows.items()}


def _seen(db, sid: int) -> dict[tuple[int, int], tuple]:
    out = {}
    for res in (MINUTE, HOUR, DAY):
        for ts, *row in db.read(lambda tx, res=res: pq.read_rollups(tx, sid, res, 0, 2**40)):
            out[(res, ts)] = tuple(row)
    return out


def _assert_same(db, sid, points, tz):
    want, got = _oracle(sid, points, tz), _seen(db, sid)
    assert got.keys() == want.keys()
    for key, row in want.items():
        assert got[key][1:] == row[1:] and got[key][0] == pytest.approx(row[0]), key


def _many_read(db, sid, res):
    return db.read(lambda tx: pq.read_rollups_many(tx, [sid], res, 0, 2**40))[sid]


def _folded_to(db, sid) -> int:
    return int(db.read(lambda tx: tx.scalar("SELECT folded_to FROM stats WHERE id = ?", (sid,))))


def _commit_minutes_only(db, sid: int, points) -> None:
    """What the writer commits for points at or past the watermark, with the process dying before
    its fold (the fold never runs)."""
    batch = MinuteBatch()
    for ts, v in points:
        batch.add(sid, ts, v)
    db.run(lambda tx: pq.upsert_rollups(tx, batch.sorted_rows()))


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata", "America/New_York"])
def test_reads_are_exact_before_and_after_a_fold_and_a_crash_before_it_loses_nothing(db, account, tz):
    update_preferences(db, account.id, timezone=tz)
    record_ez(db, account.ezkey, [EzItem(stat="f", count=0, t=BASE)], NOW)  # creates the stat
    sid = stat_row(db, account.id, "f")["id"]
    db.writer.idle()
    first = [(BASE, 0.0)]
    points = first + _points(1)
    _commit_minutes_only(db, sid, points[1:])  # committed, then the crash: no fold
    assert _folded_to(db, sid) < BASE + 5 * HOUR
    _assert_same(db, sid, points, tz)
    assert _many_read(db, sid, HOUR) == db.read(lambda tx: pq.read_rollups(tx, sid, HOUR, 0, 2**40))

    upto = BASE - BASE % HOUR + 3 * HOUR
    folded = db.run(lambda tx: pq.fold(tx, {sid: upto}))
    assert folded > 0 and _folded_to(db, sid) == upto
    assert stored_rollup(db, sid, HOUR, BASE - BASE % HOUR) is not None  # now a stored row
    assert stored_rollup(db, sid, HOUR, upto) is None                   # not folded yet
    _assert_same(db, sid, points, tz)
    assert _many_read(db, sid, DAY) == db.read(lambda tx: pq.read_rollups(tx, sid, DAY, 0, 2**40))
    assert db.run(lambda tx: pq.fold(tx, {sid: upto})) == 0  # again: nothing twice

    # Points behind the watermark (back-dated) and past it, through the real write path.
    more = _points(2, 200)
    record_ez(db, account.ezkey, [EzItem(stat="f", count=v, t=ts) for ts, v in more], NOW, bulk=True)
    db.writer.idle()
    _assert_same(db, sid, points + more, tz)


def test_the_writer_folds_hours_fold_lag_behind_the_newest_minute_after_its_commit(db, account):
    from app.storage.writer import FOLD_LAG

    items = [EzItem(stat="w", count=1, t=BASE + k * MINUTE) for k in range(5 * 60)]
    record_ez(db, account.ezkey, items, NOW, bulk=True)
    assert db.writer.idle()
    sid = stat_row(db, account.id, "w")["id"]
    newest = BASE + (5 * 60 - 1) * MINUTE
    upto = newest - newest % HOUR - FOLD_LAG
    assert upto > BASE and _folded_to(db, sid) == upto  # recent hours stay open for late points
    assert stored_rollup(db, sid, HOUR, BASE - BASE % HOUR) == (60.0, 60, 1.0, 1.0)
    assert stored_rollup(db, sid, HOUR, upto) is None
    _assert_same(db, sid, [(ts.t, 1.0) for ts in items], "UTC")


def test_a_timezone_change_rebuilds_days_from_folded_and_unfolded_minutes(db, account):
    record_ez(db, account.ezkey, [EzItem(stat="z", count=0, t=BASE)], NOW)
    sid = stat_row(db, account.id, "z")["id"]
    db.writer.idle()
    points = [(BASE, 0.0)] + _points(3)
    _commit_minutes_only(db, sid, points[1:])
    db.run(lambda tx: pq.fold(tx, {sid: BASE - BASE % HOUR + 2 * HOUR}))  # part folded, part not
    _assert_same(db, sid, points, "UTC")
    update_preferences(db, account.id, timezone="Asia/Kolkata")
    _assert_same(db, sid, points, "Asia/Kolkata")
    update_preferences(db, account.id, timezone="America/New_York")
    _assert_same(db, sid, points, "America/New_York")


def test_retention_folds_minutes_before_it_drops_them(db, account):
    from app.config import Retention
    from app.interactors.retention import prune

    old = NOW - 40 * DAY
    record_ez(db, account.ezkey, [EzItem(stat="r", count=2, t=old)], NOW)
    sid = stat_row(db, account.id, "r")["id"]
    db.writer.idle()  # the writer never folds the newest minute's own hour
    assert stored_rollup(db, sid, HOUR, old - old % HOUR) is None
    prune(db, Retention(minute_days=31, hour_days=800, day_days=0), NOW)
    assert stored_rollup(db, sid, MINUTE, old - old % MINUTE) is None
    assert stored_rollup(db, sid, HOUR, old - old % HOUR) == (2.0, 1, 2.0, 2.0)
    assert stored_rollup(db, sid, DAY, old - old % DAY) == (2.0, 1, 2.0, 2.0)


# -- the account cache, across processes (two Database objects: two caches, two writers) ------------


@pytest.fixture
def second(db_url, db):
    other = Database(db_url)
    yield other
    other.close()


def _minute_n(db, account_id: int) -> int:
    return int(db.read(lambda tx: tx.scalar(
        "SELECT COALESCE(SUM(r.n), 0) FROM rollups r JOIN stats s ON s.id = r.stat_id WHERE s.account_id = ?"
        " AND r.res = ?", (account_id, MINUTE))))


def test_a_deleted_ez_key_is_refused_on_the_very_next_post_when_another_process_deleted_it(db, second, account):
    add_ezkey(db, account.id, "second-key", NOW)
    record_ez(db, "second-key", [EzItem(stat="k", count=1)], NOW)  # this process now caches the key
    record_ez(db, "second-key", [EzItem(stat="k", count=1)], NOW)
    key_id = next(k["id"] for k in second.read(lambda tx: aq.ezkeys(tx, account.id)) if k["ezkey"] == "second-key")
    delete_ezkey(second, account.id, key_id)  # the web process
    with pytest.raises(Forbidden):
        record_ez(db, "second-key", [EzItem(stat="k", count=1)], NOW)
    with pytest.raises(Forbidden):  # a new stat name is not created for it either
        record_ez(db, "second-key", [EzItem(stat="never made", count=1)], NOW)
    assert _minute_n(db, account.id) == 2
    assert stat_row(db, account.id, "never made") is None
    record_ez(db, account.ezkey, [EzItem(stat="k", count=1)], NOW)  # the account's other key still works
    assert _minute_n(db, account.id) == 3


def test_turning_the_ez_api_off_in_another_process_refuses_the_next_post_and_on_again_accepts_it(
        db, second, account):
    record_ez(db, account.ezkey, [EzItem(stat="e", count=1)], NOW)
    update_preferences(second, account.id, ez_enabled=False)
    with pytest.raises(Forbidden) as refused:
        record_ez(db, account.ezkey, [EzItem(stat="e", count=1)], NOW)
    assert "turned off" in refused.value.msg
    assert _minute_n(db, account.id) == 1
    update_preferences(second, account.id, ez_enabled=True)
    record_ez(db, account.ezkey, [EzItem(stat="e", count=1)], NOW)
    assert _minute_n(db, account.id) == 2


def test_a_stat_renamed_in_another_process_is_not_written_through_a_cached_name(db, second, account):
    from app.interactors.stat_page import rename_stat

    record_ez(db, account.ezkey, [EzItem(stat="old name", count=1, t=BASE)], NOW)
    sid = stat_row(db, account.id, "old name")["id"]
    rename_stat(second, account.id, sid, "new name")
    record_ez(db, account.ezkey, [EzItem(stat="old name", count=5, t=BASE)], NOW)
    fresh = stat_row(db, account.id, "old name")
    assert fresh is not None and fresh["id"] != sid
    assert stored_rollup(db, sid, MINUTE, BASE) == (1.0, 1, 1.0, 1.0)
    assert stored_rollup(db, fresh["id"], MINUTE, BASE) == (5.0, 1, 5.0, 5.0)


def _unfolded_stat(db, account, name: str, points) -> int:
    """A stat whose points after the first are committed as minute rows the fold never reached."""
    record_ez(db, account.ezkey, [EzItem(stat=name, count=points[0][1], t=points[0][0])], NOW)
    sid = stat_row(db, account.id, name)["id"]
    db.writer.idle()
    _commit_minutes_only(db, sid, points[1:])
    return sid


def test_grouped_day_sums_and_graphite_sums_include_unfolded_minutes(db, account):
    points = [(BASE, 1.0)] + _points(7)
    sid = _unfolded_stat(db, account, "g", points)
    want = _oracle(sid, points, "UTC")
    origin, width = BASE - BASE % DAY - 10 * DAY - DAY // 2, 2 * DAY
    groups = db.read(lambda tx: pq.read_rollup_groups(tx, sid, DAY, origin + DAY // 2, NOW + DAY, origin, width))
    expect: dict[int, list] = {}
    for (res, ts), (total, n, lo, hi) in want.items():
        if res == DAY:
            g = expect.setdefault((ts - origin) // width, [0.0, 0, lo, hi, 0])
            g[0] += total
            g[1] += n
            g[2], g[3] = min(g[2], lo), max(g[3], hi)
            g[4] += 1
    assert [k for k, *_ in groups] == sorted(expect)
    for k, total, scaled, n, lo, hi, biggest, rows in groups:
        e = expect[k]
        assert (total, n, lo, hi, rows) == (pytest.approx(e[0]), e[1], e[2], e[3], e[4])
        assert scaled == pytest.approx(e[0] * 2.0 ** -64)
        days = [want[(DAY, ts)][0] for (res, ts) in want if res == DAY and (ts - origin) // width == k]
        assert biggest == max(abs(t) for t in days)
    for res in (HOUR, DAY):
        sums = db.read(lambda tx, res=res: pq.read_rollup_sums(tx, sid, res, 0, 2**40))
        assert [(ts, pytest.approx(t), n) for ts, t, n in sums] == \
            [(ts, row[0], row[1]) for (r, ts), row in sorted(want.items()) if r == res]
        assert db.read(lambda tx, res=res: pq.last_bucket(tx, sid, res)) == max(ts for r, ts in want if r == res)


def test_an_import_over_unfolded_minutes_counts_each_point_once(db, account):
    points = [(BASE, 1.0)] + _points(8)
    sid = _unfolded_stat(db, account, "imp", points)
    # The import owns one hour (its minute, hour and day rows): live minutes elsewhere stay counted.
    hour = BASE + HOUR
    imported = [(sid, MINUTE, hour + 120, 5.0, 1, 5.0, 5.0), (sid, HOUR, hour, 5.0, 1, 5.0, 5.0)]
    db.run(lambda tx: pq.replace_rollups(tx, imported))
    assert _folded_to(db, sid) >= hour + 120 + MINUTE
    live = [(ts, v) for ts, v in points if not hour <= ts < hour + HOUR]
    want = _oracle(sid, live + [(hour + 120, 5.0)], "UTC")
    got = _seen(db, sid)
    for key in [(HOUR, hour), (MINUTE, hour + 120)]:
        assert got[key][:2] == (5.0, 1)
    for (res, ts), row in want.items():
        if res == HOUR and ts != hour:
            assert got[(res, ts)][1] == row[1] and got[(res, ts)][0] == pytest.approx(row[0]), (res, ts)


@pytest.mark.skipif(BACKEND != "mariadb", reason="MariaDB's one-round-trip commit (one INSERT ... SELECT)")
def test_on_mariadb_a_post_commits_in_one_round_trip_and_one_behind_the_watermark_takes_two_more(
        db, second, account, monkeypatch):
    from app.storage.db import Tx

    items = [EzItem(stat="trip", count=1, t=BASE + k * MINUTE) for k in range(5 * 60)]
    record_ez(db, account.ezkey, items, NOW, bulk=True)
    assert db.writer.idle()
    sid = stat_row(db, account.id, "trip")["id"]
    mark = _folded_to(db, sid)
    assert mark > BASE
    calls: list[str] = []
    real = Tx.script

    def label(sql: str) -> str:
        return "one trip" if sql.startswith("INSERT INTO rollups") and " SELECT * FROM (SELECT " in sql else sql[:17]

    monkeypatch.setattr(Tx, "script", lambda self, parts: calls.append(label(parts[0][0])) or real(self, parts))
    newest = BASE + (5 * 60 - 1) * MINUTE
    record_ez(db, account.ezkey, [EzItem(stat="trip", count=2, t=newest)], NOW)
    assert calls == ["one trip"]   # checked, written and committed in one statement
    assert stored_rollup(db, sid, MINUTE, newest) == (3.0, 2, 1.0, 2.0)
    calls.clear()
    # Behind the watermark: the one trip writes nothing, the closer look writes the hour and day too.
    record_ez(db, account.ezkey, [EzItem(stat="trip", count=4, t=BASE)], NOW)
    assert calls == ["one trip", "START TRANSACTION", "INSERT INTO rollu"]   # its hour and day, COMMIT
    assert stored_rollup(db, sid, MINUTE, BASE) == (5.0, 2, 1.0, 4.0)
    assert stored_rollup(db, sid, HOUR, BASE - BASE % HOUR) == (64.0, 61, 1.0, 4.0)
    _assert_same(db, sid, [(i.t, 1.0) for i in items] + [(newest, 2.0), (BASE, 4.0)], "UTC")
    calls.clear()
    # An account changed in another process: the one trip writes nothing, the refusal follows.
    update_preferences(second, account.id, ez_enabled=False)
    with pytest.raises(Forbidden):
        record_ez(db, account.ezkey, [EzItem(stat="trip", count=8, t=newest)], NOW)
    assert calls[0] == "one trip"
    assert stored_rollup(db, sid, MINUTE, newest) == (3.0, 2, 1.0, 2.0)


@pytest.mark.skipif(BACKEND != "mariadb", reason="MariaDB's one-trip commit plans folds without the watermark")
def test_on_mariadb_one_trip_posts_plan_one_fold_per_stat_and_hour_and_a_failed_one_again(db, account, monkeypatch):
    import app.storage.writer as writer

    folds: list[dict] = []
    fail = []
    real = writer.fold

    def counted(tx, upto):
        folds.append(dict(upto))
        if fail:
            fail.pop()
            raise RuntimeError("fold failed")
        return real(tx, upto)

    monkeypatch.setattr(writer, "fold", counted)
    newest = BASE + 5 * HOUR
    record_ez(db, account.ezkey, [EzItem(stat="plan", count=1, t=newest)], NOW)
    assert db.writer.idle()
    sid = stat_row(db, account.id, "plan")["id"]
    upto = newest - newest % HOUR - 2 * HOUR
    assert [f for f in folds if sid in f] == [{sid: upto}]
    assert _folded_to(db, sid) == upto
    for k in range(1, 4):  # the same hour again: no second fold of the stat
        record_ez(db, account.ezkey, [EzItem(stat="plan", count=1, t=newest + k * MINUTE)], NOW)
    assert db.writer.idle()
    assert len([f for f in folds if sid in f]) == 1
    # The next hour plans again; that fold fails; the next write in the same hour plans it once more.
    fail.append(True)
    record_ez(db, account.ezkey, [EzItem(stat="plan", count=1, t=newest + HOUR)], NOW)
    assert db.writer.idle()
    record_ez(db, account.ezkey, [EzItem(stat="plan", count=1, t=newest + HOUR + MINUTE)], NOW)
    assert db.writer.idle()
    assert [f[sid] for f in folds if sid in f] == [upto, upto + HOUR, upto + HOUR]
    assert stored_rollup(db, sid, MINUTE, newest + HOUR + MINUTE) == (1.0, 1, 1.0, 1.0)


class _FoldBetweenStatements:
    """A connection that commits a fold of the stat, on another connection, just before the
    reader's second SELECT: the moment a reader of watermark and rows is exposed to it."""

    def __init__(self, conn, fold_now):
        self._conn, self._fold_now, self.selects, self.folded = conn, fold_now, 0, False

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def cursor(self):
        cur, outer = self._conn.cursor(), self

        class Cursor:
            def __getattr__(self, name):
                return getattr(cur, name)

            def execute(self, sql, params=()):
                if sql.lstrip().upper().startswith("SELECT"):
                    outer.selects += 1
                    if outer.selects == 2 and not outer.folded:
                        outer._fold_now()
                        outer.folded = True
                return cur.execute(sql, params)

        return Cursor()


def _rows(value):
    """Rows as a list of tuples (pymysql's fetchall answers a tuple of tuples), or a bucket start."""
    return [tuple(r) for r in value] if isinstance(value, (list, tuple)) else value


_READERS = {
    "hours": lambda tx, sid: pq.read_rollups(tx, sid, HOUR, 0, 2**40),
    "days": lambda tx, sid: pq.read_rollups(tx, sid, DAY, 0, 2**40),
    "many hours": lambda tx, sid: pq.read_rollups_many(tx, [sid], HOUR, 0, 2**40)[sid],
    "day groups": lambda tx, sid: pq.read_rollup_groups(tx, sid, DAY, 0, 2**40, 0, 7 * DAY),
    "hour sums": lambda tx, sid: pq.read_rollup_sums(tx, sid, HOUR, 0, 2**40),
    "newest hour": lambda tx, sid: pq.last_bucket(tx, sid, HOUR),
}


@pytest.mark.parametrize("reader", list(_READERS))
def test_a_fold_committed_between_a_readers_statements_neither_loses_nor_doubles_a_minute(db, account, reader):
    # Minute rows from BASE + 1 h on are unfolded; a fold commits while the reader is half-way.
    points = [(BASE, 1.0)] + [(BASE + HOUR + k * 7 * MINUTE, float(k + 1)) for k in range(40)]
    sid = _unfolded_stat(db, account, "race", points)
    mark = _folded_to(db, sid)
    assert mark <= BASE + HOUR  # the reader starts with unfolded minutes past the watermark

    def fold_now():
        db.run(lambda tx: pq.fold(tx, {sid: NOW}))

    def read_with_a_fold(tx):
        tx.conn = _FoldBetweenStatements(tx.conn, fold_now)
        try:
            return _READERS[reader](tx, sid), tx.conn.folded
        finally:
            tx.conn = tx.conn._conn

    got, folded = db.read(read_with_a_fold)
    assert folded and _folded_to(db, sid) == NOW  # the fold did commit in the middle of the read
    settled = db.read(lambda tx: _READERS[reader](tx, sid))  # every minute folded: nothing to merge
    assert _rows(got) == _rows(settled)
    want = _oracle(sid, points, "UTC")
    if reader == "hours":
        assert [(ts, t, n) for ts, t, n, _lo, _hi in got] == [(ts, row[0], row[1]) for (r, ts), row in
                                                              sorted(want.items()) if r == HOUR]
