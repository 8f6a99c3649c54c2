-- Which way is good for a stat: 'up' (more is better), 'down' (less is better) or 'neutral' (default):
-- it colours changes (green for better, red for worse) on the stat page, dashboards and report mails.
ALTER TABLE stats ADD COLUMN direction VARCHAR(8) NOT NULL DEFAULT 'neutral';
