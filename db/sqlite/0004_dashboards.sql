-- Dashboards: named grids of live tiles, each shareable read-only through an unguessable token.
-- refresh_seconds is how often every tile redraws itself; share_token is NULL while not shared.
CREATE TABLE dashboards (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  refresh_seconds INTEGER NOT NULL DEFAULT 30,
  share_token VARCHAR(64) NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE INDEX dashboards_account ON dashboards(account_id);

-- A tile: one stat, or an overlay of up to five (stat_ids is comma-separated in the order picked: the
-- first stat's unit owns the left axis). position orders a dashboard's tiles (0, 1, 2, ... rewritten on
-- every reorder); size is a column span, 1 to 3; timeframe is a UI code (1h 1d 1w 1M 3M 1y).
CREATE TABLE dashboard_tiles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dashboard_id INTEGER NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  size INTEGER NOT NULL DEFAULT 1,
  timeframe VARCHAR(8) NOT NULL,
  title VARCHAR(100) NOT NULL DEFAULT '',
  stat_ids VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX dashboard_tiles_dashboard ON dashboard_tiles(dashboard_id, position);
