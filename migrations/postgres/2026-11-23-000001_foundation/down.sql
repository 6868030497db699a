-- Refuses to run on a database that holds people or events: dropping them would lose records.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM persons) OR EXISTS (SELECT 1 FROM events) THEN
        RAISE EXCEPTION 'refusing to drop tables that hold people or events';
    END IF;
END $$;
DROP TRIGGER events_no_update ON events;
DROP FUNCTION events_append_only();
DROP TABLE events;
DROP TABLE duplicate_flags;
DROP TABLE person_phones;
DROP TABLE persons;
DROP TABLE refresh_tokens;
DROP TABLE grants;
DROP TABLE login_throttle;
DROP TABLE users;
DROP TABLE admin_units;
DROP TABLE settings;
