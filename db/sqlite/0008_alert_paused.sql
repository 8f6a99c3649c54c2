-- A paused alert is not checked (and so sends nothing) until it is resumed.
ALTER TABLE alerts ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
