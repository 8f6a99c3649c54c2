-- The metrics prefix token of the StatsD/Graphite listeners: `TOKEN.rest.of.name` lands in the
-- account holding TOKEN as `rest.of.name`. Made on first use (settings or the docs page).
ALTER TABLE accounts ADD COLUMN metrics_token VARCHAR(64) NULL;
CREATE UNIQUE INDEX accounts_metrics_token ON accounts(metrics_token);
