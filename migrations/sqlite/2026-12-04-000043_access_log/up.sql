-- Who read whose personal data: one record per answer that carried it (a list or an export
-- is one record), and the people it showed. Records refer to people by id only, so that
-- erasing a person's data leaves who read the record, and when, without holding it.
CREATE TABLE access_records (
    id          TEXT PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    grant_id    TEXT,
    operation   TEXT NOT NULL,
    request_id  TEXT,
    purpose     TEXT,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX access_records_actor ON access_records (actor_id, at);
CREATE INDEX access_records_at ON access_records (at);
CREATE TABLE access_people (
    access_id   TEXT NOT NULL REFERENCES access_records (id),
    person_id   TEXT NOT NULL,
    PRIMARY KEY (person_id, access_id)
) WITHOUT ROWID;
CREATE INDEX access_people_access ON access_people (access_id);
-- The access log is evidence: nothing in it changes or goes.
CREATE TRIGGER access_records_no_update BEFORE UPDATE ON access_records
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_records_no_delete BEFORE DELETE ON access_records
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_people_no_update BEFORE UPDATE ON access_people
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_people_no_delete BEFORE DELETE ON access_people
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
