"""SQL for rollup rows: the multi-row upsert on the write path, folding and bounded range reads.

Folding: ingest writes a point's minute row only. A stat's hour and day rows hold every minute row
with ts < stats.folded_to; the minute rows from folded_to on are "unfolded", and every reader of
hours or days adds them (read_rollups, read_rollups_many, read_rollup_groups, read_rollup_sums,
last_bucket), so a read is exact whether or not the fold has run (each such read runs in one
snapshot: Tx.snapshot); replace_rollups (imports) folds
the stat completely first and moves the watermark past the minutes it imports. fold() moves the
watermark in the same transaction as the rows it adds, so a crash
leaves either both or neither. A point older than the watermark gets its three rows at once
(writer.py). On MySQL the writer holds a shared lock on the stats rows it writes and fold() an
exclusive one, so a fold never misses a minute row being committed.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING

from app.rollups import DAY, HOUR, MINUTE, bucket_start, local_day_start

if TYPE_CHECKING:  # no import at run time: db -> writer -> points must not lead back to db
    from app.storage.db import Tx

CHUNK = 1000
# A local day holds at most 25 hours; unfolded minute rows up to this far past a read's last bucket
# start may belong to that bucket.
_LONGEST_BUCKET = DAY + 2 * HOUR

_SQLITE_UPSERT = (
    "INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (stat_id, res, ts) DO UPDATE SET total = total + excluded.total,"
    " n = n + excluded.n, lo = MIN(lo, excluded.lo), hi = MAX(hi, excluded.hi)"
)
_MYSQL_UPSERT_TAIL = (
    " ON DUPLICATE KEY UPDATE total = total + VALUES(total), n = n + VALUES(n),"
    " lo = LEAST(lo, VALUES(lo)), hi = GREATEST(hi, VALUES(hi))"
)


def _floats(row: tuple) -> tuple:
    s, r, t, a, n, lo, hi = row
    if a.__class__ is float and lo.__class__ is float and hi.__class__ is float:
        return row
    return s, r, t, float(a), n, float(lo), float(hi)


def upsert_rollups(tx: Tx, rows) -> None:
    """rows: (stat_id, res, ts, total, n, lo, hi) tuples, best sorted by key."""
    if tx.dialect == "sqlite":
        tx.executemany(_SQLITE_UPSERT, rows)
        return
    for sql in mysql_upserts(rows):
        tx.execute_raw(sql)


def mysql_upserts(rows) -> list[str]:
    """The MySQL upsert statements for rows, with the numbers rendered into them: pymysql escapes
    every parameter in Python, and numbers rendered directly cost a third as much. %d refuses
    anything but a number; %r of a float is a valid SQL literal (values are finite)."""
    out = []
    for i in range(0, len(rows), CHUNK):
        values = ",".join(["(%d,%d,%d,%r,%d,%r,%r)" % _floats(row) for row in rows[i:i + CHUNK]])  # noqa: UP031 (fastest)
        out.append("INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES " + values + _MYSQL_UPSERT_TAIL)
    return out


def mysql_upsert_where(rows, where: str) -> str:
    """One MySQL upsert of rows that writes all of them if `where` holds (a condition over
    subqueries, evaluated once) and none otherwise: INSERT ... SELECT from the rows as a derived
    table, SELECT ... UNION ALL SELECT .... The float columns are cast to DOUBLE, so their type
    never rests on how the server types a union of literals (1.5 is a DECIMAL literal; MariaDB
    10.11 kept every double exact without the cast too, tests/test_storage.py checks with it);
    the first SELECT names the columns."""
    first, *rest = rows
    head = ("SELECT %d AS s, %d AS r, %d AS t, CAST(%r AS DOUBLE) AS a, %d AS c, CAST(%r AS DOUBLE) AS l,"  # noqa: UP031
            " CAST(%r AS DOUBLE) AS h" % _floats(first))
    tail = "".join([" UNION ALL SELECT %d,%d,%d,CAST(%r AS DOUBLE),%d,CAST(%r AS DOUBLE),CAST(%r AS DOUBLE)"  # noqa: UP031
                    % _floats(r) for r in rest])
    return ("INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) SELECT * FROM (" + head + tail + ") v WHERE "
            + where + _MYSQL_UPSERT_TAIL)


def read_rollups(tx: Tx, stat_id: int, res: int, start: int, end: int) -> list[tuple]:
    """Rows with start <= ts < end at one resolution, as (ts, total, n, lo, hi), oldest first
    (hours and days include the unfolded minute rows)."""
    with _consistent(tx, res):
        return _read_rollups(tx, stat_id, res, start, end)


def _consistent(tx: Tx, res: int):
    """Hours and days are read with the watermark and the minutes past it: in one snapshot, or a
    fold committed between those statements would count its minutes twice or not at all."""
    return nullcontext() if res == MINUTE else tx.snapshot()


def _read_rollups(tx: Tx, stat_id: int, res: int, start: int, end: int) -> list[tuple]:
    out = tx.rows("SELECT ts, total, n, lo, hi FROM rollups WHERE stat_id = ? AND res = ? AND ts >= ? AND ts < ?"
                  " ORDER BY ts", (stat_id, res, start, end))
    if res == MINUTE:
        return out
    window = _unfolded_window(tx, stat_id, start, end)
    if window is None:
        return out
    lo_ts, tz = window
    minutes = tx.all("SELECT ts, total, n, lo, hi FROM rollups WHERE stat_id = ? AND res = ? AND ts >= ?"
                     " AND ts < ?", (stat_id, MINUTE, lo_ts, end + _LONGEST_BUCKET))
    if not minutes:
        return out
    return _with_unfolded(out, minutes, res, tz, start, end)


def _with_unfolded(rows: list[tuple], minutes: list[dict], res: int, tz: str, start: int, end: int) -> list[tuple]:
    merged = {r[0]: list(r[1:]) for r in rows}
    for m in minutes:
        b = bucket_start(m["ts"], res, tz)
        if not start <= b < end:
            continue
        row = merged.get(b)
        if row is None:
            merged[b] = [m["total"], m["n"], m["lo"], m["hi"]]
        else:
            row[0] += m["total"]
            row[1] += m["n"]
            row[2] = min(row[2], m["lo"])
            row[3] = max(row[3], m["hi"])
    return [(ts, *merged[ts]) for ts in sorted(merged)]


def read_rollup_groups(tx: Tx, stat_id: int, res: int, start: int, end: int, origin: int, width: int) -> list[tuple]:
    """Rows with start <= ts < end summed per fixed-width group k = (ts - origin) // width (origin <= start),
    oldest first: (k, total, scaled, n, lo, hi, biggest, rows) with scaled = the sum of total * 2**-64
    and biggest = the largest |total|. The caller reads `scaled` where total may have left the float
    range (MariaDB's SUM then answers 0 without an error)."""
    with _consistent(tx, res):
        return _read_rollup_groups(tx, stat_id, res, start, end, origin, width)


def _read_rollup_groups(tx: Tx, stat_id: int, res: int, start: int, end: int, origin: int, width: int) -> list[tuple]:
    div = "/" if tx.dialect == "sqlite" else "DIV"   # integer division of integers in both
    rows = tx.all(
        f"SELECT (ts - ?) {div} ? AS k, SUM(total) AS total, SUM(total * ?) AS scaled, SUM(n) AS n,"
        " MIN(lo) AS lo, MAX(hi) AS hi, MAX(ABS(total)) AS biggest, COUNT(*) AS cnt FROM rollups"
        " WHERE stat_id = ? AND res = ? AND ts >= ? AND ts < ? GROUP BY k ORDER BY k",
        (origin, width, 2.0 ** -64, stat_id, res, start, end),
    )
    out = [(int(r["k"]), r["total"], r["scaled"], int(r["n"]), r["lo"], r["hi"], r["biggest"], int(r["cnt"]))
           for r in rows]
    if res == MINUTE:
        return out
    span = _unfolded_span(tx, stat_id, start, end)
    if span is None:
        return out
    # The few groups the unfolded minutes touch are summed again from exact (fold-aware) rows.
    first, last, tz = span
    k0 = max((bucket_start(first, res, tz) - origin) // width, (start - origin) // width)
    k1 = min((bucket_start(last, res, tz) - origin) // width, (end - 1 - origin) // width)
    if k1 < k0:
        return out
    lo_ts, hi_ts = max(start, origin + k0 * width), min(end, origin + (k1 + 1) * width)
    redone: dict[int, list] = {}
    for ts, total, n, lo, hi in read_rollups(tx, stat_id, res, lo_ts, hi_ts):
        k = (ts - origin) // width
        g = redone.get(k)
        if g is None:
            redone[k] = [total, total * 2.0 ** -64, n, lo, hi, abs(total), 1]
        else:
            g[0] += total
            g[1] += total * 2.0 ** -64
            g[2] += n
            g[3], g[4], g[5] = min(g[3], lo), max(g[4], hi), max(g[5], abs(total))
            g[6] += 1
    kept = [g for g in out if not k0 <= g[0] <= k1]
    return sorted(kept + [(k, *g) for k, g in redone.items()])


def _unfolded_span(tx: Tx, stat_id: int, start: int, end: int) -> tuple[int, int, str] | None:
    """(oldest, newest minute ts, zone) of the stat's unfolded minute rows that may fall into hour or
    day buckets of start <= ts < end; None when there are none."""
    window = _unfolded_window(tx, stat_id, start, end)
    if window is None:
        return None
    lo_ts, tz = window
    r = tx.one("SELECT MIN(ts) AS a, MAX(ts) AS b FROM rollups WHERE stat_id = ? AND res = ? AND ts >= ?"
               " AND ts < ?", (stat_id, MINUTE, lo_ts, end + _LONGEST_BUCKET))
    if r is None or r["a"] is None:
        return None
    return int(r["a"]), int(r["b"]), tz


def _unfolded_window(tx: Tx, stat_id: int, start: int, end: int) -> tuple[int, str] | None:
    """(the oldest minute ts that may hold unfolded rows for buckets of start <= ts < end, the
    account's zone), or None when the watermark is past them all (or the stat is gone)."""
    mark = tx.one("SELECT s.folded_to, a.timezone FROM stats s JOIN accounts a ON a.id = s.account_id"
                  " WHERE s.id = ?", (stat_id,))
    if mark is None:
        return None
    lo_ts = max(int(mark["folded_to"]), start)
    if lo_ts >= end + _LONGEST_BUCKET:
        return None
    return lo_ts, mark["timezone"]


def last_bucket(tx: Tx, stat_id: int, res: int) -> int | None:
    with _consistent(tx, res):
        return _last_bucket(tx, stat_id, res)


def _last_bucket(tx: Tx, stat_id: int, res: int) -> int | None:
    stored = tx.scalar("SELECT MAX(ts) FROM rollups WHERE stat_id = ? AND res = ?", (stat_id, res))
    if res == MINUTE:
        return stored
    span = _unfolded_span(tx, stat_id, 0, 2**62)  # an unfolded minute may start a newer bucket
    if span is None:
        return stored
    newest = bucket_start(span[1], res, span[2])
    return newest if stored is None else max(int(stored), newest)


def delete_rollups_before(tx: Tx, stat_id: int, res: int, before: int) -> int:
    """Retention: drop one stat's buckets older than `before` at one resolution (a PK range)."""
    return tx.execute("DELETE FROM rollups WHERE stat_id = ? AND res = ? AND ts < ?", (stat_id, res, before))


def delete_stat_rollups(tx: Tx, stat_ids: list[int]) -> None:
    for stat_id in stat_ids:
        tx.execute("DELETE FROM rollups WHERE stat_id = ?", (stat_id,))


def rebuild_days(tx: Tx, stat_id: int, tz: str) -> None:
    """Recompute a stat's day buckets in zone tz from its hour buckets (where those are kept).

    Older day buckets, whose hours retention has dropped, keep their old alignment."""
    newest = tx.scalar("SELECT MAX(ts) FROM rollups WHERE stat_id = ? AND res = ?", (stat_id, MINUTE))
    if newest is not None:
        fold(tx, {stat_id: int(newest) + MINUTE})  # every minute into the hours first
    hours = read_rollups(tx, stat_id, HOUR, 0, 2**62)
    if not hours:
        return
    days: dict[int, list] = {}
    for ts, total, n, lo, hi in hours:
        d = local_day_start(ts, tz)
        row = days.get(d)
        days[d] = [total, n, lo, hi] if row is None else [row[0] + total, row[1] + n, min(row[2], lo),
                                                          max(row[3], hi)]
    # Any old-aligned day that overlaps the kept hours is replaced.
    tx.execute("DELETE FROM rollups WHERE stat_id = ? AND res = ? AND ts > ?", (stat_id, DAY, min(days) - DAY))
    upsert_rollups(tx, [(stat_id, DAY, d, *row) for d, row in sorted(days.items())])


def read_rollups_many(tx: Tx, stat_ids: list[int], res: int, start: int, end: int) -> dict[int, list[tuple]]:
    """Like read_rollups for many stats in one query (the stats list's sparklines)."""
    with _consistent(tx, res):
        return _read_rollups_many(tx, stat_ids, res, start, end)


def _read_rollups_many(tx: Tx, stat_ids: list[int], res: int, start: int, end: int) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {i: [] for i in stat_ids}
    for i in range(0, len(stat_ids), 500):
        chunk = stat_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in tx.all(
            f"SELECT stat_id, ts, total, n, lo, hi FROM rollups WHERE stat_id IN ({marks}) AND res = ?"
            " AND ts >= ? AND ts < ? ORDER BY stat_id, ts",
            [*chunk, res, start, end],
        ):
            out[r["stat_id"]].append((r["ts"], r["total"], r["n"], r["lo"], r["hi"]))
        if res == MINUTE:
            continue
        marks_of = {r["id"]: r for r in tx.all(
            f"SELECT s.id, s.folded_to, a.timezone FROM stats s JOIN accounts a ON a.id = s.account_id"
            f" WHERE s.id IN ({marks})", chunk)}
        lo_ts = min((max(int(m["folded_to"]), start) for m in marks_of.values()), default=None)
        if lo_ts is None or lo_ts >= end + _LONGEST_BUCKET:
            continue
        unfolded: dict[int, list[dict]] = {}
        for r in tx.all(
            f"SELECT stat_id, ts, total, n, lo, hi FROM rollups WHERE stat_id IN ({marks}) AND res = ?"
            " AND ts >= ? AND ts < ?", [*chunk, MINUTE, lo_ts, end + _LONGEST_BUCKET],
        ):
            if r["ts"] >= marks_of[r["stat_id"]]["folded_to"]:
                unfolded.setdefault(r["stat_id"], []).append(r)
        for sid, minutes in unfolded.items():
            out[sid] = _with_unfolded(out[sid], minutes, res, marks_of[sid]["timezone"], start, end)
    return out


def fold(tx: Tx, upto: dict[int, int]) -> int:
    """Fold each stat's minute rows from its watermark up to (not including) upto[stat] into its
    hour and day rows, and move the watermark there. Returns the minute rows folded."""
    if not upto:
        return 0
    ids = sorted(upto)
    tail = " FOR UPDATE" if tx.dialect == "mysql" else ""
    current: dict[int, int] = {}
    for i in range(0, len(ids), 1000):  # the exclusive lock first (id order, as the writer's shared one)
        chunk = ids[i:i + 1000]
        for r in tx.all(f"SELECT id, folded_to FROM stats WHERE id IN ({','.join('?' * len(chunk))}){tail}", chunk):
            current[r["id"]] = int(r["folded_to"])
    # The zone is read after the lock: a timezone change committed meanwhile is seen.
    zones = {r["id"]: r["timezone"] for i in range(0, len(ids), 1000) for r in tx.all(
        "SELECT s.id, a.timezone FROM stats s JOIN accounts a ON a.id = s.account_id WHERE s.id IN"
        f" ({','.join('?' * len(ids[i:i + 1000]))})", ids[i:i + 1000])}
    groups: dict[tuple[int, int], list[int]] = {}
    for sid, f in current.items():
        if upto[sid] > f:
            groups.setdefault((f, upto[sid]), []).append(sid)
    rows: dict[tuple[int, int, int], list] = {}
    folded = 0
    for (lo_ts, hi_ts), sids in groups.items():
        for i in range(0, len(sids), 500):
            chunk = sids[i:i + 500]
            # Quarter-hours: each lies in one hour and one local day (offsets are whole quarters).
            for r in tx.all(
                f"SELECT stat_id, ts - ts % 900 AS q, SUM(total) AS total, SUM(n) AS n, MIN(lo) AS lo,"
                f" MAX(hi) AS hi, COUNT(*) AS c FROM rollups WHERE stat_id IN ({','.join('?' * len(chunk))})"
                " AND res = ? AND ts >= ? AND ts < ? GROUP BY stat_id, ts - ts % 900",
                [*chunk, MINUTE, lo_ts, hi_ts],
            ):
                folded += int(r["c"])
                q, sid = int(r["q"]), r["stat_id"]
                tz = zones.get(sid, "UTC")
                for key in ((sid, HOUR, q - q % HOUR), (sid, DAY, local_day_start(q, tz))):
                    row = rows.get(key)
                    v = (float(r["total"]), int(r["n"]), float(r["lo"]), float(r["hi"]))
                    rows[key] = list(v) if row is None else [row[0] + v[0], row[1] + v[1], min(row[2], v[2]),
                                                             max(row[3], v[3])]
            tx.execute(f"UPDATE stats SET folded_to = ? WHERE id IN ({','.join('?' * len(chunk))})", [hi_ts, *chunk])
    if rows:
        upsert_rollups(tx, [(*k, *rows[k]) for k in sorted(rows)])
    return folded


def replace_rollups(tx: Tx, rows) -> None:
    """Imports: set each (stat_id, res, ts) row to the given values, so importing twice leaves
    the same rows (an import owns the buckets it covers). rows as for upsert_rollups.

    Imported rows come at every resolution, so folding must neither add the imported minutes to
    the imported hours and days nor lose live minutes: the stats are folded completely first, the
    rows replaced, and the watermark moved past the newest imported minute."""
    stat_ids = sorted({r[0] for r in rows})
    newest: dict[int, int] = {}
    for sid in stat_ids:
        m = tx.scalar("SELECT MAX(ts) FROM rollups WHERE stat_id = ? AND res = ?", (sid, MINUTE))
        if m is not None:
            newest[sid] = int(m) + MINUTE
    fold(tx, newest)
    _replace(tx, rows)
    imported: dict[int, int] = {}
    for s_id, res, ts, *_ in rows:
        if res == MINUTE and ts + MINUTE > imported.get(s_id, 0):
            imported[s_id] = int(ts) + MINUTE
    greatest = "MAX" if tx.dialect == "sqlite" else "GREATEST"
    for sid, upto in sorted(imported.items()):
        tx.execute(f"UPDATE stats SET folded_to = {greatest}(folded_to, ?) WHERE id = ?", (upto, sid))


def _replace(tx: Tx, rows) -> None:
    if tx.dialect == "sqlite":
        tx.executemany(
            "INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (stat_id, res, ts) DO UPDATE SET total = excluded.total, n = excluded.n,"
            " lo = excluded.lo, hi = excluded.hi", rows)
        return
    for i in range(0, len(rows), CHUNK):
        values = ",".join(
            f"({int(s)},{int(r)},{int(t)},{float(a)!r},{int(n)},{float(lo)!r},{float(hi)!r})"
            for s, r, t, a, n, lo, hi in rows[i:i + CHUNK]
        )
        tx.execute_raw("INSERT INTO rollups (stat_id, res, ts, total, n, lo, hi) VALUES " + values
                       + " ON DUPLICATE KEY UPDATE total = VALUES(total), n = VALUES(n), lo = VALUES(lo),"
                         " hi = VALUES(hi)")


def read_rollup_sums(tx: Tx, stat_id: int, res: int, start: int, end: int) -> list[tuple]:
    """(ts, total, n) rows with start <= ts < end, oldest first, as the driver's plain tuples:
    the Graphite API reads up to 10,080 rows per series, where building a dict per row shows."""
    with _consistent(tx, res):
        return _read_rollup_sums(tx, stat_id, res, start, end)


def _read_rollup_sums(tx: Tx, stat_id: int, res: int, start: int, end: int) -> list[tuple]:
    cur = tx.conn.cursor()
    cur.execute(tx._sql("SELECT ts, total, n FROM rollups WHERE stat_id = ? AND res = ? AND ts >= ? AND ts < ?"
                        " ORDER BY ts"), (stat_id, res, start, end))
    rows = cur.fetchall()
    cur.close()
    if res == MINUTE or _unfolded_span(tx, stat_id, start, end) is None:
        return rows
    # Hours and days with unfolded minutes: the exact (fold-aware) rows instead.
    return [(ts, total, n) for ts, total, n, _lo, _hi in read_rollups(tx, stat_id, res, start, end)]
