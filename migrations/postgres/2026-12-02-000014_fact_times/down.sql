ALTER TABLE exposures DROP COLUMN cleared_at;
ALTER TABLE contacts DROP COLUMN listed_at;
ALTER TABLE daily_reports DROP COLUMN reported_at;
ALTER TABLE episodes DROP COLUMN state_at;
ALTER TABLE episodes DROP COLUMN ordered_at;
ALTER TABLE events DROP COLUMN backdate_reason;
ALTER TABLE events DROP COLUMN recorded_at;
