"""Issue 8, ingest side: no input breaks ingest, and no account's posts can make another's fail.

Every refusal is checked against stored state (nothing changed), on SQLite and MariaDB.
"""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.rollups import DAY, HOUR, MINUTE, RollupBatch
from app.storage.writer import PointWriter, _Job
from tests.conftest import NOW
from tests.helpers import rollup

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
