-- Dashboards: named grids of live tiles, each shareable read-only through an unguessable token.
-- refresh_seconds is how often every tile redraws itself; share_token is NULL while not shared
-- (binary collation: a token must match exactly, never case-insensitively).
CREATE TABLE dashboards (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  refresh_seconds INT NOT NULL DEFAULT 30,
  share_token VARCHAR(64) COLLATE utf8mb4_bin NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY dashboards_share_token (share_token),
  KEY dashboards_account (account_id),
  CONSTRAINT dashboards_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A tile: one stat, or an overlay of up to five (stat_ids is comma-separated in the order picked: the
-- first stat's unit owns the left axis). position orders a dashboard's tiles (0, 1, 2, ... rewritten on
-- every reorder); size is a column span, 1 to 3; timeframe is a UI code (1h 1d 1w 1M 3M 1y).
CREATE TABLE dashboard_tiles (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dashboard_id BIGINT NOT NULL,
  position INT NOT NULL,
  size INT NOT NULL DEFAULT 1,
  timeframe VARCHAR(8) COLLATE utf8mb4_bin NOT NULL,
  title VARCHAR(100) NOT NULL DEFAULT '',
  stat_ids VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL,
  KEY dashboard_tiles_dashboard (dashboard_id, position),
  CONSTRAINT dashboard_tiles_dashboard_fk FOREIGN KEY (dashboard_id) REFERENCES dashboards(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
