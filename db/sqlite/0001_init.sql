-- Accounts, keys, stats and the rollups that hold every point.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email VARCHAR(255) NOT NULL UNIQUE,
  password_hash VARCHAR(255) NOT NULL,
  ukey VARCHAR(64) NOT NULL UNIQUE,
  timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  ez_enabled INTEGER NOT NULL DEFAULT 1,
  new_stat_email INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL
);

CREATE TABLE ez_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  ezkey VARCHAR(255) NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE INDEX ez_keys_account ON ez_keys(account_id);

CREATE TABLE access_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  token VARCHAR(64) NOT NULL UNIQUE,
  name VARCHAR(100) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_account ON access_tokens(account_id);

CREATE TABLE stats (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name VARCHAR(255) NOT NULL,
  kind VARCHAR(8) NOT NULL,
  classic_key VARCHAR(64) NOT NULL UNIQUE,
  embed_key VARCHAR(64) NOT NULL UNIQUE,
  public INTEGER NOT NULL DEFAULT 0,
  unit VARCHAR(32) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  deleted_at BIGINT NULL,
  UNIQUE (account_id, name)
);

-- One row per stat, resolution (seconds) and bucket start: sum, number of data points, min, max.
-- Counters read `total`; values read total / n (never an average of averages).
CREATE TABLE rollups (
  stat_id INTEGER NOT NULL,
  res INTEGER NOT NULL,
  ts BIGINT NOT NULL,
  total DOUBLE NOT NULL,
  n BIGINT NOT NULL,
  lo DOUBLE NOT NULL,
  hi DOUBLE NOT NULL,
  PRIMARY KEY (stat_id, res, ts)
) WITHOUT ROWID;
