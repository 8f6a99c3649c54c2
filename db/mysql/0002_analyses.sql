-- Saved overlay analyses: up to five stats on one graph, at one timeframe.
-- stat_ids is a comma-separated list of stat ids, in the order they were picked (the first sets the main axis).
CREATE TABLE analyses (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  stat_ids VARCHAR(255) NOT NULL,
  timeframe VARCHAR(8) COLLATE utf8mb4_bin NOT NULL,
  created_at BIGINT NOT NULL,
  KEY analyses_account (account_id),
  CONSTRAINT analyses_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
