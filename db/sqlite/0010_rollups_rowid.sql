-- SQLite only: rollups becomes a rowid table with a unique index on its key instead of a WITHOUT
-- ROWID table clustered on it. Why (bench/sqlite_update_cost.py, bench/README.md): a commit that
-- adds to the current minute of many live stats rewrites rows that, on a rowid table, lie together
-- in insertion order, and touches neither the index nor a page per stat; on the clustered table it
-- rewrote a page per stat (4 KB of WAL each) and rebalanced them. Reads pay one more lookup per row.
-- The copy is in key order, so the history a stat already has stays together on disk.
CREATE TABLE rollups_rowid (
  stat_id INTEGER NOT NULL,
  res INTEGER NOT NULL,
  ts BIGINT NOT NULL,
  total DOUBLE NOT NULL,
  n BIGINT NOT NULL,
  lo DOUBLE NOT NULL,
  hi DOUBLE NOT NULL,
  UNIQUE (stat_id, res, ts)
);
INSERT INTO rollups_rowid (stat_id, res, ts, total, n, lo, hi)
  SELECT stat_id, res, ts, total, n, lo, hi FROM rollups ORDER BY stat_id, res, ts;
DROP TABLE rollups;
ALTER TABLE rollups_rowid RENAME TO rollups;
