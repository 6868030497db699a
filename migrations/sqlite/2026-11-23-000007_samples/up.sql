-- Sample: laboratories, samples from orders to results, pools, and mass-sampling rounds.

CREATE TABLE labs (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    unit_code   TEXT NOT NULL REFERENCES admin_units (code),
    unit_path   TEXT NOT NULL,
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE pools (
    id           TEXT PRIMARY KEY NOT NULL,
    barcode      TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    max_size     INTEGER NOT NULL,
    lab_id       TEXT REFERENCES labs (id),
    result       TEXT,
    note         TEXT,
    unit_path    TEXT NOT NULL,
    created_by   TEXT,
    created_at   TIMESTAMP NOT NULL,
    received_at  TIMESTAMP,
    resulted_at  TIMESTAMP,
    version      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE sampling_rounds (
    id          TEXT PRIMARY KEY NOT NULL,
    zone_id     TEXT NOT NULL REFERENCES zones (id),
    round_date  DATE NOT NULL,
    kind        TEXT NOT NULL,
    ordered     INTEGER NOT NULL,
    unit_path   TEXT NOT NULL,
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX sampling_rounds_zone ON sampling_rounds (zone_id, round_date);

CREATE TABLE samples (
    id                  TEXT PRIMARY KEY NOT NULL,
    person_id           TEXT NOT NULL REFERENCES persons (id),
    kind                TEXT NOT NULL,
    state               TEXT NOT NULL,
    -- why it was taken: schedule, mass, ad_hoc, retest, confirmation
    origin              TEXT NOT NULL,
    episode_test_id     TEXT REFERENCES episode_tests (id),
    round_id            TEXT REFERENCES sampling_rounds (id),
    replaces_sample_id  TEXT,
    due_date            DATE NOT NULL,
    barcode             TEXT UNIQUE,
    pool_id             TEXT REFERENCES pools (id),
    lab_id              TEXT REFERENCES labs (id),
    collected_at        TIMESTAMP,
    received_at         TIMESTAMP,
    resulted_at         TIMESTAMP,
    result              TEXT,
    note                TEXT,
    unit_path           TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_by          TEXT,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX samples_unit_state ON samples (unit_path, state);
CREATE INDEX samples_person ON samples (person_id);
CREATE INDEX samples_pool ON samples (pool_id);
CREATE INDEX samples_test ON samples (episode_test_id);
CREATE INDEX samples_lab_state ON samples (lab_id, state);
CREATE INDEX samples_pending ON samples (collected_at) WHERE state IN ('collected', 'received');
