-- The columns only repeat what each event's JSON says.
ALTER TABLE events DROP COLUMN state, DROP COLUMN via_id, DROP COLUMN level;
