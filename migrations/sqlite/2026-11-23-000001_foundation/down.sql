-- Refuses to run on a database that holds people or events: dropping them would lose records.
CREATE TEMP TABLE _guard (ok INTEGER CHECK (ok = 1));
INSERT INTO _guard SELECT CASE WHEN (SELECT count(*) FROM persons) + (SELECT count(*) FROM events) = 0 THEN 1 ELSE 0 END;
DROP TABLE _guard;
DROP TRIGGER events_no_delete;
DROP TRIGGER events_no_update;
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
