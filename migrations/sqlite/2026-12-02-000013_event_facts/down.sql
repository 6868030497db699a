-- The columns only repeat what each event's JSON says.
ALTER TABLE events DROP COLUMN state;
ALTER TABLE events DROP COLUMN via_id;
ALTER TABLE events DROP COLUMN level;
