"""The writers' job queue: the first MariaDB writer takes whatever waits, the second only a backlog,
so single posts share one writer's commits and bulk commits still overlap."""

import threading

from app.rollups import MinuteBatch
from app.storage.writer import MAX_ROWS_PER_COMMIT, SECOND_WRITER_ROWS, _Job, _JobQueue


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
