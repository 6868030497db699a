-- Foundation: administrative units, accounts and grants, people, the event log.
-- Identifiers are UUID text; instants are UTC timestamps; dates are local (Asia/Ho_Chi_Minh) dates.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE admin_units (
    code        TEXT PRIMARY KEY NOT NULL,
    parent_code TEXT REFERENCES admin_units (code),
    level       TEXT NOT NULL CHECK (level IN ('country', 'province', 'district', 'commune', 'village')),
    name        TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    unit_type   TEXT NOT NULL,
    -- materialised path: '/', '/22/', '/22/203/', '/22/203/06994/' ...
    path        TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT
);
CREATE INDEX admin_units_parent ON admin_units (parent_code);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    username            TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    password_changed_at TIMESTAMP NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

-- Failed logins per username (known or not, so that a lock reveals nothing), kept in the
-- database so that several instances agree.
CREATE TABLE login_throttle (
    username     TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    last_failure TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE grants (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    role          TEXT NOT NULL,
    unit_code     TEXT REFERENCES admin_units (code),
    -- quarantine sites come later; a camp manager's grant names a site instead of a unit
    site_id       TEXT,
    granted_by    TEXT,
    granted_at    TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP,
    revoked_by    TEXT,
    revoke_reason TEXT,
    CHECK ((unit_code IS NULL) <> (site_id IS NULL))
);
CREATE INDEX grants_user ON grants (user_id);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    issued_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP,
    replaced_by TEXT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE persons (
    id                  TEXT PRIMARY KEY NOT NULL,
    full_name           TEXT NOT NULL,
    name_folded         TEXT NOT NULL,
    birth_date          DATE,
    birth_year          INTEGER,
    sex                 TEXT,
    national_id         TEXT UNIQUE,
    passport_no         TEXT,
    nationality         TEXT,
    residence_address   TEXT,
    residence_unit_code TEXT NOT NULL REFERENCES admin_units (code),
    unit_path           TEXT COLLATE "C" NOT NULL,
    current_location    TEXT,
    occupation          TEXT,
    workplace           TEXT,
    vaccination_doses   INTEGER NOT NULL DEFAULT 0,
    source              TEXT NOT NULL,
    merged_into         TEXT REFERENCES persons (id),
    version             INTEGER NOT NULL DEFAULT 1,
    created_by          TEXT,
    created_at          TIMESTAMP NOT NULL,
    updated_by          TEXT,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX persons_unit_path ON persons (unit_path, id);
CREATE INDEX persons_name_folded ON persons (name_folded);
CREATE INDEX persons_passport ON persons (passport_no);

CREATE TABLE person_phones (
    person_id TEXT NOT NULL REFERENCES persons (id),
    phone     TEXT NOT NULL,
    PRIMARY KEY (person_id, phone)
);
CREATE INDEX person_phones_phone ON person_phones (phone);

CREATE TABLE duplicate_flags (
    id           TEXT PRIMARY KEY NOT NULL,
    person_id    TEXT NOT NULL REFERENCES persons (id),
    candidate_id TEXT NOT NULL REFERENCES persons (id),
    reason       TEXT NOT NULL,
    flagged_at   TIMESTAMP NOT NULL,
    resolved_at  TIMESTAMP,
    resolution   TEXT,
    resolved_by  TEXT,
    UNIQUE (person_id, candidate_id)
);
CREATE INDEX duplicate_flags_candidate ON duplicate_flags (candidate_id);

-- Append-only record of every change: never updated, never deleted.
CREATE TABLE events (
    id          TEXT PRIMARY KEY NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor_id    TEXT,
    actor_role  TEXT,
    at          TIMESTAMP NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    reason      TEXT
);
CREATE INDEX events_entity ON events (entity_type, entity_id, at);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
