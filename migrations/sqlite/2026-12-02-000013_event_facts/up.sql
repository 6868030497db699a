-- The facts reports read from the log, in columns of their own instead of inside the JSON
-- text: the level a classification gives its person and through whom, and the state a
-- trace task is left in. Filled from the JSON of the events already written.
ALTER TABLE events ADD COLUMN level INTEGER;
ALTER TABLE events ADD COLUMN via_id TEXT;
ALTER TABLE events ADD COLUMN state TEXT;

-- the log refuses updates; this one only copies what each event already says
DROP TRIGGER events_no_update;
UPDATE events
SET level = CAST(substr(json_extract(after_json, '$.level'), 2) AS INTEGER),
    via_id = json_extract(after_json, '$.via_person_id')
WHERE entity_type = 'person' AND action IN ('classified', 'exposure_widened')
  AND json_valid(after_json) AND json_extract(after_json, '$.level') LIKE 'F%';
UPDATE events
SET state = json_extract(after_json, '$.state')
WHERE entity_type = 'trace_task' AND json_valid(after_json)
  AND json_type(after_json, '$.state') = 'text';
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
