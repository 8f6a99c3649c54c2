-- Saved overlay analyses: up to five stats on one graph, at one timeframe.
-- stat_ids is a comma-separated list of stat ids, in the order they were picked (the first sets the main axis).
CREATE TABLE analyses (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  stat_ids VARCHAR(255) NOT NULL,
  timeframe VARCHAR(8) NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX analyses_account ON analyses(account_id);
