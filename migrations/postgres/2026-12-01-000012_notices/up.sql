-- Notices across jurisdictions: a person the sender registered or traced who lives in the
-- receiving jurisdiction (reason 'residence'), or whose national ID a record of the
-- receiving jurisdiction holds (reason 'identity'). The receiver accepts and links the
-- person, or rejects with a reason. What was sent is kept as sent (person_json,
-- contact_json).
CREATE TABLE notices (
    id                TEXT PRIMARY KEY NOT NULL,
    reason            TEXT NOT NULL,
    state             TEXT NOT NULL,
    from_unit_code    TEXT NOT NULL REFERENCES admin_units (code),
    from_path         TEXT NOT NULL,
    to_unit_code      TEXT NOT NULL REFERENCES admin_units (code),
    to_path           TEXT NOT NULL,
    person_json       TEXT NOT NULL,
    contact_json      TEXT,
    source_person_id  TEXT REFERENCES persons (id),
    implied_level     INTEGER,
    local_person_id   TEXT REFERENCES persons (id),
    matched_person_id TEXT REFERENCES persons (id),
    linked_person_id  TEXT REFERENCES persons (id),
    sent_by           TEXT NOT NULL REFERENCES users (id),
    sent_at           TIMESTAMP NOT NULL,
    resolved_by       TEXT REFERENCES users (id),
    resolved_at       TIMESTAMP,
    resolution_reason TEXT,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX notices_to ON notices (to_path, id);
CREATE INDEX notices_from ON notices (from_path, id);

-- A national ID a record was registered with that a record of another jurisdiction holds:
-- the record's own to its jurisdiction, unique nowhere, until the other links or rejects it.
ALTER TABLE persons ADD COLUMN pending_national_id TEXT;
CREATE INDEX persons_pending_national_id ON persons (pending_national_id)
    WHERE pending_national_id IS NOT NULL;

-- Identity look-ups (national IDs, phones) per user and hour, for their limit.
CREATE TABLE lookup_counts (
    user_id      TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    lookups      INTEGER NOT NULL,
    PRIMARY KEY (user_id, window_start)
);
