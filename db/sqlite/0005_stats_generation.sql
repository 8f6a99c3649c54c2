-- Bumped whenever one of the account's stats is renamed, trashed, restored or purged, so ingest
-- processes can cache name -> stat lookups and drop them the moment they may be wrong.
ALTER TABLE accounts ADD COLUMN stats_gen BIGINT NOT NULL DEFAULT 0;
