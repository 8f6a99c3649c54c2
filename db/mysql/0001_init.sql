-- Accounts, keys, stats and the rollups that hold every point.
CREATE TABLE accounts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(255) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  ukey VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  ez_enabled TINYINT NOT NULL DEFAULT 1,
  new_stat_email TINYINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  UNIQUE KEY accounts_email (email),
  UNIQUE KEY accounts_ukey (ukey)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ez_keys (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  ezkey VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY ez_keys_ezkey (ezkey),
  KEY ez_keys_account (account_id),
  CONSTRAINT ez_keys_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE access_tokens (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  token VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  name VARCHAR(100) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  UNIQUE KEY access_tokens_token (token),
  KEY access_tokens_account (account_id),
  CONSTRAINT access_tokens_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Stat names are exact, case-sensitive strings: utf8mb4_bin.
CREATE TABLE stats (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  name VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
  kind VARCHAR(8) NOT NULL,
  classic_key VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  embed_key VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  public TINYINT NOT NULL DEFAULT 0,
  unit VARCHAR(32) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  deleted_at BIGINT NULL,
  UNIQUE KEY stats_account_name (account_id, name),
  UNIQUE KEY stats_classic_key (classic_key),
  UNIQUE KEY stats_embed_key (embed_key),
  CONSTRAINT stats_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per stat, resolution (seconds) and bucket start: sum, number of data points, min, max.
-- Counters read `total`; values read total / n (never an average of averages).
CREATE TABLE rollups (
  stat_id BIGINT NOT NULL,
  res INT NOT NULL,
  ts BIGINT NOT NULL,
  total DOUBLE NOT NULL,
  n BIGINT NOT NULL,
  lo DOUBLE NOT NULL,
  hi DOUBLE NOT NULL,
  PRIMARY KEY (stat_id, res, ts)
) ENGINE=InnoDB;
