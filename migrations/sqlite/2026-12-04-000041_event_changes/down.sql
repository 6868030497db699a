-- The values go back into the events they belong to (an erased one stays empty).
DROP TRIGGER events_no_update;
DROP TRIGGER events_no_delete;
ALTER TABLE events ADD COLUMN before_json TEXT;
ALTER TABLE events ADD COLUMN after_json TEXT;
ALTER TABLE events ADD COLUMN reason TEXT;
ALTER TABLE events ADD COLUMN backdate_reason TEXT;
UPDATE events
SET before_json = (SELECT c.before_json FROM event_changes c WHERE c.event_id = events.id),
    after_json = (SELECT c.after_json FROM event_changes c WHERE c.event_id = events.id),
    reason = (SELECT c.reason FROM event_changes c WHERE c.event_id = events.id),
    backdate_reason = (SELECT c.backdate_reason FROM event_changes c
                       WHERE c.event_id = events.id)
WHERE id IN (SELECT event_id FROM event_changes);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
DROP TABLE event_changes;
