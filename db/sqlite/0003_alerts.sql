-- Alerts (StatHat's manual alerts), their history, outgoing notifications, report schedules,
-- and the mark that makes the worker send "a new stat was created" mail for EZ-created stats.

-- One row per alert. next_check_at is claimed by advancing it with a conditional UPDATE, so two
-- workers never evaluate the same round; state changes are compare-and-set on `state`.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  stat_id INTEGER NOT NULL REFERENCES stats(id) ON DELETE CASCADE,
  kind VARCHAR(8) NOT NULL,
  time_window VARCHAR(4) NOT NULL,
  operator VARCHAR(16) NULL,
  threshold DOUBLE NULL,
  percentage DOUBLE NULL,
  time_delta VARCHAR(4) NULL,
  reminder_hours INTEGER NOT NULL DEFAULT 0,
  email INTEGER NOT NULL DEFAULT 1,
  webhook_url VARCHAR(1000) NOT NULL DEFAULT '',
  webhook_secret VARCHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'ok',
  state_since BIGINT NULL,
  last_value DOUBLE NULL,
  last_checked_at BIGINT NULL,
  last_notified_at BIGINT NULL,
  next_check_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX alerts_account ON alerts(account_id);
CREATE INDEX alerts_stat ON alerts(stat_id);
CREATE INDEX alerts_next_check ON alerts(next_check_at);

-- History: every transition (triggered, ok) and every reminder.
CREATE TABLE alert_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL,
  stat_id INTEGER NOT NULL,
  kind VARCHAR(16) NOT NULL,
  value DOUBLE NULL,
  message VARCHAR(255) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events(alert_id, created_at);
CREATE INDEX alert_events_stat ON alert_events(stat_id, created_at);
CREATE INDEX alert_events_account ON alert_events(account_id, created_at);

-- One row per event and channel. A worker claims a row (claimed_by, claimed_until) with a
-- conditional UPDATE before sending it; failures back off through next_attempt_at.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id INTEGER NOT NULL REFERENCES alert_events(id) ON DELETE CASCADE,
  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  channel VARCHAR(16) NOT NULL,
  target VARCHAR(1000) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  claimed_by VARCHAR(64) NULL,
  claimed_until BIGINT NULL,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  sent_at BIGINT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX notifications_due ON notifications(status, next_attempt_at);
CREATE INDEX notifications_alert ON notifications(alert_id, id);

-- Daily and weekly report mail, one row per account and period. due_at is the report's nominal
-- time (it fixes the period reported on); next_attempt_at moves on with retries.
CREATE TABLE report_schedules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  period VARCHAR(8) NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0,
  hour INTEGER NOT NULL DEFAULT 8,
  stat_ids VARCHAR(1000) NOT NULL DEFAULT '',
  due_at BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by VARCHAR(64) NULL,
  claimed_until BIGINT NULL,
  last_sent_at BIGINT NULL,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  UNIQUE (account_id, period)
);
CREATE INDEX report_schedules_due ON report_schedules(enabled, next_attempt_at);

-- Stats made by the EZ API get StatHat's "a new stat was created" mail; new_stat_mail_at is set
-- (claimed) by the worker that sends it.
ALTER TABLE stats ADD COLUMN ez_created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats ADD COLUMN new_stat_mail_at BIGINT NULL;
CREATE INDEX stats_new_stat_mail ON stats(ez_created, new_stat_mail_at);
