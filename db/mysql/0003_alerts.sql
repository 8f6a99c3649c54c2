-- Alerts (StatHat's manual alerts), their history, outgoing notifications, report schedules,
-- and the mark that makes the worker send "a new stat was created" mail for EZ-created stats.

-- One row per alert. next_check_at is claimed by advancing it with a conditional UPDATE, so two
-- workers never evaluate the same round; state changes are compare-and-set on `state`.
CREATE TABLE alerts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  stat_id BIGINT NOT NULL,
  kind VARCHAR(8) NOT NULL,
  time_window VARCHAR(4) COLLATE utf8mb4_bin NOT NULL,
  operator VARCHAR(16) NULL,
  threshold DOUBLE NULL,
  percentage DOUBLE NULL,
  time_delta VARCHAR(4) COLLATE utf8mb4_bin NULL,
  reminder_hours INT NOT NULL DEFAULT 0,
  email TINYINT NOT NULL DEFAULT 1,
  webhook_url VARCHAR(1000) NOT NULL DEFAULT '',
  webhook_secret VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'ok',
  state_since BIGINT NULL,
  last_value DOUBLE NULL,
  last_checked_at BIGINT NULL,
  last_notified_at BIGINT NULL,
  next_check_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  KEY alerts_account (account_id),
  KEY alerts_stat (stat_id),
  KEY alerts_next_check (next_check_at),
  CONSTRAINT alerts_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE,
  CONSTRAINT alerts_stat_fk FOREIGN KEY (stat_id) REFERENCES stats(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- History: every transition (triggered, ok) and every reminder.
CREATE TABLE alert_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  alert_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  stat_id BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  value DOUBLE NULL,
  message VARCHAR(255) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  KEY alert_events_alert (alert_id, created_at),
  KEY alert_events_stat (stat_id, created_at),
  KEY alert_events_account (account_id, created_at),
  CONSTRAINT alert_events_alert_fk FOREIGN KEY (alert_id) REFERENCES alerts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per event and channel. A worker claims a row (claimed_by, claimed_until) with a
-- conditional UPDATE before sending it; failures back off through next_attempt_at.
CREATE TABLE notifications (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id BIGINT NOT NULL,
  alert_id BIGINT NOT NULL,
  channel VARCHAR(16) NOT NULL,
  target VARCHAR(1000) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending',
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  claimed_by VARCHAR(64) NULL,
  claimed_until BIGINT NULL,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  sent_at BIGINT NULL,
  created_at BIGINT NOT NULL,
  KEY notifications_due (status, next_attempt_at),
  KEY notifications_alert (alert_id, id),
  CONSTRAINT notifications_event_fk FOREIGN KEY (event_id) REFERENCES alert_events(id) ON DELETE CASCADE,
  CONSTRAINT notifications_alert_fk FOREIGN KEY (alert_id) REFERENCES alerts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Daily and weekly report mail, one row per account and period. due_at is the report's nominal
-- time (it fixes the period reported on); next_attempt_at moves on with retries.
CREATE TABLE report_schedules (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  period VARCHAR(8) NOT NULL,
  enabled TINYINT NOT NULL DEFAULT 0,
  hour INT NOT NULL DEFAULT 8,
  stat_ids VARCHAR(1000) NOT NULL DEFAULT '',
  due_at BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  claimed_by VARCHAR(64) NULL,
  claimed_until BIGINT NULL,
  last_sent_at BIGINT NULL,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  UNIQUE KEY report_schedules_account_period (account_id, period),
  KEY report_schedules_due (enabled, next_attempt_at),
  CONSTRAINT report_schedules_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Stats made by the EZ API get StatHat's "a new stat was created" mail; new_stat_mail_at is set
-- (claimed) by the worker that sends it.
ALTER TABLE stats ADD COLUMN ez_created TINYINT NOT NULL DEFAULT 0, ADD COLUMN new_stat_mail_at BIGINT NULL,
  ADD KEY stats_new_stat_mail (ez_created, new_stat_mail_at);
