-- An event log that can forget. The log's own rows say what happened to which record, by
-- whom and when, and stay append-only; the values a change carried (the record before and
-- after, the reason, why it was recorded late), which name people, move to a row of their
-- own beside it. That row is never deleted and changes only once: when a purge erases it,
-- visibly (`erased_at`), leaving the event itself as it was.
CREATE TABLE event_changes (
    event_id        TEXT PRIMARY KEY NOT NULL REFERENCES events (id),
    before_json     TEXT,
    after_json      TEXT,
    reason          TEXT,
    backdate_reason TEXT,
    erased_at       TIMESTAMP
);

-- every value already written moves, none is lost
INSERT INTO event_changes (event_id, before_json, after_json, reason, backdate_reason)
SELECT id, before_json, after_json, reason, backdate_reason
FROM events
WHERE before_json IS NOT NULL OR after_json IS NOT NULL OR reason IS NOT NULL
   OR backdate_reason IS NOT NULL;

-- the log refuses changes; the columns go with the triggers set aside, which come back
DROP TRIGGER events_no_update;
DROP TRIGGER events_no_delete;
ALTER TABLE events DROP COLUMN before_json;
ALTER TABLE events DROP COLUMN after_json;
ALTER TABLE events DROP COLUMN reason;
ALTER TABLE events DROP COLUMN backdate_reason;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER event_changes_no_delete BEFORE DELETE ON event_changes
BEGIN
    SELECT RAISE(ABORT, 'event changes are never deleted');
END;
-- the one update allowed: an erasure of every value, once
CREATE TRIGGER event_changes_only_erased BEFORE UPDATE ON event_changes
WHEN OLD.erased_at IS NOT NULL OR NEW.erased_at IS NULL OR NEW.event_id IS NOT OLD.event_id
  OR NEW.before_json IS NOT NULL OR NEW.after_json IS NOT NULL OR NEW.reason IS NOT NULL
  OR NEW.backdate_reason IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'an event change is only ever erased');
END;
