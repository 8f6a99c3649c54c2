-- Ingest writes only the minute row of a point; the stat's hour and day rows hold every minute row
-- with ts < folded_to (the writer folds the rest after its commit, and readers of hours and days add
-- the minute rows from folded_to on). Existing stats have every point in all three resolutions.
ALTER TABLE stats ADD COLUMN folded_to BIGINT NOT NULL DEFAULT 0;
UPDATE stats SET folded_to = COALESCE((SELECT MAX(r.ts) + 60 FROM rollups r WHERE r.stat_id = stats.id AND r.res = 60), 0);
