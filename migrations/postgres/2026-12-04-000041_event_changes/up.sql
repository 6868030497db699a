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

-- dropping a column updates no row: the log's triggers stay as they are
ALTER TABLE events DROP COLUMN before_json, DROP COLUMN after_json, DROP COLUMN reason,
    DROP COLUMN backdate_reason;

CREATE FUNCTION event_changes_only_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'event changes are never deleted';
    END IF;
    IF OLD.erased_at IS NOT NULL OR NEW.erased_at IS NULL
       OR NEW.event_id IS DISTINCT FROM OLD.event_id
       OR NEW.before_json IS NOT NULL OR NEW.after_json IS NOT NULL
       OR NEW.reason IS NOT NULL OR NEW.backdate_reason IS NOT NULL THEN
        RAISE EXCEPTION 'an event change is only ever erased';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER event_changes_only_erased BEFORE UPDATE OR DELETE ON event_changes
    FOR EACH ROW EXECUTE FUNCTION event_changes_only_erased();
