"""The writers' job queue: the first MariaDB writer takes whatever waits, the second only a backlog,
so single posts share one writer's commits and bulk commits still overlap. A post that finds the
writer idle commits on its own thread; under load the writer keeps every commit."""

import threading
import time

from app.rollups import MINUTE, MinuteBatch
from app.storage import writer as writer_mod
from app.storage.writer import (
    INLINE_AFTER_IDLE,
    MAX_ROWS_PER_COMMIT,
    ONE_TRIP_ROWS,
    SECOND_WRITER_ROWS,
    PointWriter,
    _Job,
    _JobQueue,
    _minute_rows,
)
from tests.conftest import NOW
from tests.helpers import rollup


def job(rows: int) -> _Job:
    b = MinuteBatch()
    for i in range(rows):
        b.add(1, 60 * i, 1.0)
    return _Job(b)


def take_in_thread(q: _JobQueue, second: bool) -> tuple[threading.Thread, list]:
    got: list = []
    t = threading.Thread(target=lambda: got.append(q.take(second)), daemon=True)
    t.start()
    return t, got


def test_second_writer_waits_for_a_backlog_first_takes_anything():
    q = _JobQueue()
    second, got2 = take_in_thread(q, True)
    small = [job(1) for _ in range(3)]
    for j in small:
        q.put(j)
    second.join(0.2)
    assert second.is_alive() and got2 == []        # three single posts: not the second writer's
    assert q.take(False) == small                  # the first writer takes them in one commit
    big = job(SECOND_WRITER_ROWS)
    q.put(big)
    second.join(2)
    assert got2 == [[big]] and q.qsize() == 0


def test_a_take_stops_at_the_commit_size_but_never_splits_a_job():
    q = _JobQueue()
    half = MAX_ROWS_PER_COMMIT // 2
    a, b, c = job(half), job(half), job(1)
    huge = job(MAX_ROWS_PER_COMMIT + 5)
    for j in (a, b, c, huge):
        q.put(j)
    assert q.take(False) == [a, b]
    assert q.take(False) == [c]
    assert q.take(False) == [huge]


def test_close_lets_the_first_writer_finish_and_both_stop():
    q = _JobQueue()
    waiting, got = take_in_thread(q, True)
    j = job(1)
    q.put(j)
    q.close()
    waiting.join(2)
    assert got == [[]]                              # the second writer stops, leaving the post
    assert q.take(False) == [j] and q.take(False) == []


def test_take_all_empties_the_queue():
    q = _JobQueue()
    jobs = [job(2), job(300)]
    for j in jobs:
        q.put(j)
    assert q.take_all() == jobs and q.qsize() == 0
    q.put(job(1))
    assert len(q.take(False)) == 1


def test_a_job_commits_inline_only_when_nothing_is_queued_nor_committing_nor_just_committed(monkeypatch):
    q = _JobQueue()
    assert q.claim_inline()                        # idle since start: the caller commits itself
    assert not q.claim_inline()                    # the slot is held: the next one queues
    waiting, got = take_in_thread(q, False)
    j = job(1)
    q.put(j)
    waiting.join(0.2)
    assert waiting.is_alive() and got == []        # the first writer waits for the inline commit
    q.release_inline()
    waiting.join(2)
    assert got == [[j]]                            # ... then takes what queued meanwhile
    assert not q.claim_inline()                    # the writer holds the slot while it commits
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 60.0)
    waiting, got = take_in_thread(q, False)        # its commit is over: it waits for the next job
    time.sleep(0.05)
    assert not q.claim_inline()                    # a commit just ended: busy, the writer's turn
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 0.005)
    time.sleep(0.01)
    assert q.claim_inline()
    q.release_inline()
    q.put(job(1))
    assert not q.claim_inline()                    # something is queued: it goes first, with the writer
    waiting.join(2)
    assert len(got) == 1 and len(got[0]) == 1


def test_close_waits_for_an_inline_commit_before_the_first_writer_stops():
    q = _JobQueue()
    assert q.claim_inline()
    waiting, got = take_in_thread(q, False)
    j = job(1)
    q.put(j)
    q.close()
    waiting.join(0.2)
    assert waiting.is_alive()                      # closed, but a job is left behind the inline one
    q.release_inline()
    waiting.join(2)
    assert got == [[j]] and q.take(False) == []


def _minute_batch(stat_id: int, ts: int, value: float) -> MinuteBatch:
    b = MinuteBatch()
    b.add(stat_id, ts, value)
    return b


def test_an_idle_writer_lets_the_post_commit_on_its_own_thread_and_a_busy_one_commits_for_it(db, monkeypatch):
    t = NOW - NOW % MINUTE
    threads: list[str] = []
    first_in, first_go = threading.Event(), threading.Event()
    real = PointWriter._commit

    def commit(self, jobs):
        threads.append(threading.current_thread().name)
        if len(threads) == 1:
            first_in.set()
            first_go.wait(5)                       # hold the first commit: a second post queues
        return real(self, jobs)

    monkeypatch.setattr(PointWriter, "_commit", commit)
    w = PointWriter(db)
    try:
        time.sleep(INLINE_AFTER_IDLE * 2)
        first = threading.Thread(target=w.write, args=(_minute_batch(1, t, 1.0),), name="post-1")
        first.start()
        assert first_in.wait(5)
        second = threading.Thread(target=w.write, args=(_minute_batch(1, t, 2.0),), name="post-2")
        second.start()
        time.sleep(0.1)
        assert rollup(db, 1, MINUTE, t) is None    # nothing is committed before its reply
        first_go.set()
        first.join(5)
        second.join(5)
    finally:
        w.stop()
    assert threads == ["post-1", "eyrie-point-writer-0"]
    assert rollup(db, 1, MINUTE, t) == (3.0, 2, 1.0, 2.0)


def test_under_load_a_gathering_writer_waits_a_moment_for_as_many_posts_as_were_in_flight(monkeypatch):
    monkeypatch.setattr(writer_mod, "GATHER_WAIT", 5.0)  # long enough to see the wait; 1 ms in use
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 60.0)  # "under load" however slow the machine
    q = _JobQueue()
    for _ in range(3):
        q.arrive()                                 # three requests in flight at once
    a = job(1)
    q.put(a)
    assert q.take(False) == [a]                    # idle before: nothing to wait for
    waiting, got = take_in_thread(q, False)        # that commit is over: under load now
    b, c, d = job(1), job(1), job(1)
    for j in (b, c):
        q.put(j)
        waiting.join(0.2)
        assert waiting.is_alive() and got == []    # fewer than were in flight: it waits
    q.put(d)
    waiting.join(2)
    assert got == [[b, c, d]]                      # one commit for all three


def test_a_gathering_writer_is_woken_once_its_wait_is_over_not_by_every_post(monkeypatch):
    monkeypatch.setattr(writer_mod, "GATHER_WAIT", 5.0)
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 60.0)
    q = _JobQueue()
    for _ in range(3):
        q.arrive()
    q.put(job(1))
    q.take(False)
    cv = q._cv[0]
    wakes = []
    real_notify = cv.notify
    cv.notify = lambda n=1: (wakes.append(q._gathering), real_notify(n))
    waiting, got = take_in_thread(q, False)
    q.put(job(1))                               # wakes the writer, which then gathers
    deadline = time.monotonic() + 2
    while not q._gathering and time.monotonic() < deadline:
        time.sleep(0.005)
    assert q._gathering
    before = len(wakes)
    q.put(job(1))                               # two of the three in flight: no wake-up
    time.sleep(0.05)
    assert len(wakes) == before and waiting.is_alive()
    q.put(job(1))                               # the third: its wait is over
    waiting.join(2)
    assert len(wakes) == before + 1 and len(got) == 1 and len(got[0]) == 3


def test_the_gathering_wait_is_bounded_and_there_is_none_without_requests_in_flight(monkeypatch):
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 60.0)  # "under load" for the whole test
    # With 4 in flight it waits, but no longer than GATHER_WAIT; with none it does not wait even
    # though GATHER_WAIT would allow 5 s.
    for in_flight, wait, least, most in ((4, 0.2, 0.15, 1.0), (0, 5.0, 0.0, 2.0)):
        monkeypatch.setattr(writer_mod, "GATHER_WAIT", wait)
        q = _JobQueue()
        for _ in range(in_flight):
            q.arrive()
        q.put(job(1))
        q.take(False)
        waiting, got = take_in_thread(q, False)
        time.sleep(0.02)
        t0 = time.monotonic()
        q.put(job(1))
        waiting.join(2)
        took = time.monotonic() - t0
        assert len(got) == 1 and len(got[0]) == 1
        assert least <= took < most


def test_a_single_writer_gathers_bulk_requests_in_flight_and_two_writers_do_not(monkeypatch):
    monkeypatch.setattr(writer_mod, "BULK_GATHER_WAIT", 5.0)  # long enough to see the wait; 20 ms in use
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 60.0)  # "under load" however slow the machine
    for gather_bulk in (True, False):
        q = _JobQueue(gather_bulk=gather_bulk)
        for _ in range(3):
            q.arrive()                             # three bulk requests in flight at once
        q.put(job(1))
        q.take(False)
        waiting, got = take_in_thread(q, False)    # that commit is over: under load now
        a, b, c = job(ONE_TRIP_ROWS), job(ONE_TRIP_ROWS), job(ONE_TRIP_ROWS)
        q.put(a)
        waiting.join(0.2)
        if not gather_bulk:
            assert got == [[a]]                    # a round trip's worth: the second writer overlaps
            continue
        assert waiting.is_alive() and got == []    # SQLite: one commit's pages for all of them
        q.put(b)
        waiting.join(0.2)
        assert waiting.is_alive() and got == []
        q.put(c)
        waiting.join(2)
        assert got == [[a, b, c]]


def test_a_lone_bulk_client_never_waits_for_others(monkeypatch):
    monkeypatch.setattr(writer_mod, "BULK_GATHER_WAIT", 5.0)
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 60.0)
    q = _JobQueue(gather_bulk=True)
    q.arrive()                                     # one request in flight at a time
    q.put(job(1))
    q.take(False)
    waiting, got = take_in_thread(q, False)
    a = job(ONE_TRIP_ROWS * 2)
    t0 = time.monotonic()
    q.put(a)
    waiting.join(2)
    assert got == [[a]] and time.monotonic() - t0 < 2


def test_the_first_writer_waits_on_when_the_second_took_the_queue_while_it_gathered(monkeypatch):
    # [] from take() means closed: the first writer would end, and single posts (too small for
    # the second writer) would wait for ever.
    monkeypatch.setattr(writer_mod, "GATHER_WAIT", 0.3)
    monkeypatch.setattr(writer_mod, "INLINE_AFTER_IDLE", 60.0)
    monkeypatch.setattr(writer_mod, "SECOND_WRITER_ROWS", 1)  # the second writer takes anything
    q = _JobQueue()
    for _ in range(5):
        q.arrive()
    q.put(job(1))
    q.take(False)
    waiting, got = take_in_thread(q, False)
    a = job(1)
    q.put(a)
    time.sleep(0.05)                               # the first writer gathers, waiting for 4 more
    assert q.take(True) == [a]                     # ... and the second takes the lot
    waiting.join(0.6)                              # the gathering wait is over, the queue empty
    assert waiting.is_alive() and got == []        # it waits for work, it has not stopped
    b = job(1)
    q.put(b)
    waiting.join(2)
    assert got == [[b]]


def test_a_small_commit_merges_posts_to_one_bucket_into_one_row_and_leaves_each_post_intact():
    t = NOW - NOW % 60
    posts = []
    for points in ([(1, t, 1.0)], [(1, t, 5.0), (2, t, 7.0)], [(1, t + 30, -2.0), (1, t + 60, 3.0)]):
        b = MinuteBatch()
        for sid, ts, v in points:
            b.add(sid, ts, v)
        posts.append(_Job(b))
    # What the upsert would make of the three rows of bucket (1, t) in turn, as one row, sorted by key.
    assert _minute_rows(posts) == [(1, MINUTE, t, 4.0, 3, -2.0, 5.0), (1, MINUTE, t + 60, 3.0, 1, 3.0, 3.0),
                                   (2, MINUTE, t, 7.0, 1, 7.0, 7.0)]
    # Each post's own rows are untouched: a retry of one alone (its account changed, a sum out of
    # range) writes exactly what it sent.
    assert posts[0].batch.rows == {(1, MINUTE, t): [1.0, 1, 1.0, 1.0]}
    assert posts[2].batch.rows == {(1, MINUTE, t): [-2.0, 1, -2.0, -2.0], (1, MINUTE, t + 60): [3.0, 1, 3.0, 3.0]}


def test_a_bulk_commit_keeps_each_requests_rows_as_they_are():
    big = [job(2 * ONE_TRIP_ROWS), job(2 * ONE_TRIP_ROWS)]  # the same buckets, too many rows to merge
    rows = _minute_rows(big)
    assert len(rows) == 4 * ONE_TRIP_ROWS and rows[0] == rows[1] == (1, MINUTE, 0, 1.0, 1, 1.0, 1.0)
    assert rows == sorted(rows)
