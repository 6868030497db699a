-- The values go back into the events they belong to (an erased one stays empty).
ALTER TABLE events ADD COLUMN before_json TEXT, ADD COLUMN after_json TEXT,
    ADD COLUMN reason TEXT, ADD COLUMN backdate_reason TEXT;
ALTER TABLE events DISABLE TRIGGER events_no_update;
UPDATE events
SET before_json = c.before_json, after_json = c.after_json, reason = c.reason,
    backdate_reason = c.backdate_reason
FROM event_changes c
WHERE c.event_id = events.id;
ALTER TABLE events ENABLE TRIGGER events_no_update;
DROP TABLE event_changes;
DROP FUNCTION event_changes_only_erased();
