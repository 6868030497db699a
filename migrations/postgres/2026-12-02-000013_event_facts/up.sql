-- The facts reports read from the log, in columns of their own instead of inside the JSON
-- text: the level a classification gives its person and through whom, and the state a
-- trace task is left in. Filled from the JSON of the events already written.
ALTER TABLE events ADD COLUMN level INTEGER, ADD COLUMN via_id TEXT, ADD COLUMN state TEXT;

-- the log refuses updates; this one only copies what each event already says
ALTER TABLE events DISABLE TRIGGER events_no_update;
UPDATE events
SET level = substr(after_json::jsonb ->> 'level', 2)::integer,
    via_id = after_json::jsonb ->> 'via_person_id'
WHERE entity_type = 'person' AND action IN ('classified', 'exposure_widened')
  AND after_json::jsonb ->> 'level' LIKE 'F%';
UPDATE events
SET state = after_json::jsonb ->> 'state'
WHERE entity_type = 'trace_task' AND jsonb_typeof(after_json::jsonb -> 'state') = 'string';
ALTER TABLE events ENABLE TRIGGER events_no_update;
