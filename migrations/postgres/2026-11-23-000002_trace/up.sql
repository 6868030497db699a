-- Trace: confirmed cases (F0), contacts between people, and each person's classification.

CREATE TABLE cases (
    id                TEXT PRIMARY KEY NOT NULL,
    person_id         TEXT NOT NULL REFERENCES persons (id),
    case_number       TEXT UNIQUE,
    state             TEXT NOT NULL,
    confirmation_test TEXT NOT NULL,
    test_ref          TEXT NOT NULL,
    sample_date       DATE NOT NULL,
    onset_date        DATE,
    confirmed_at      TIMESTAMP NOT NULL,
    isolated_at       TIMESTAMP,
    treatment         TEXT,
    window_start      TIMESTAMP NOT NULL,
    unit_path         TEXT COLLATE "C" NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_by        TEXT,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
-- one open case per person
CREATE UNIQUE INDEX cases_open_person ON cases (person_id) WHERE state IN ('confirmed', 'in_treatment');
CREATE INDEX cases_unit_path ON cases (unit_path, id);

CREATE TABLE contacts (
    id               TEXT PRIMARY KEY NOT NULL,
    person_a         TEXT NOT NULL REFERENCES persons (id),
    person_b         TEXT NOT NULL REFERENCES persons (id),
    first_at         TIMESTAMP NOT NULL,
    last_at          TIMESTAMP NOT NULL,
    place            TEXT,
    setting          TEXT NOT NULL,
    proximity        TEXT NOT NULL,
    duration_minutes INTEGER,
    masked           BOOLEAN NOT NULL,
    unit_path        TEXT COLLATE "C" NOT NULL,
    retracted_at     TIMESTAMP,
    retract_reason   TEXT,
    created_by       TEXT,
    created_at       TIMESTAMP NOT NULL,
    CHECK (person_a <> person_b),
    CHECK (last_at >= first_at)
);
CREATE INDEX contacts_a ON contacts (person_a);
CREATE INDEX contacts_b ON contacts (person_b);

-- The current classification of a person: F0 (0), F1 (1), F2 (2), F3 (3).
CREATE TABLE exposures (
    person_id      TEXT PRIMARY KEY NOT NULL REFERENCES persons (id),
    level          INTEGER NOT NULL,
    status         TEXT NOT NULL,
    window_start   TIMESTAMP NOT NULL,
    window_end     TIMESTAMP,
    via_person_id  TEXT,
    case_id        TEXT,
    unit_path      TEXT COLLATE "C" NOT NULL,
    classified_at  TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX exposures_unit_level ON exposures (unit_path, level);

-- People whose level could drop after a correction: a health officer decides.
CREATE TABLE level_reviews (
    id             TEXT PRIMARY KEY NOT NULL,
    person_id      TEXT NOT NULL REFERENCES persons (id),
    current_level  INTEGER NOT NULL,
    computed_level INTEGER,
    reason         TEXT NOT NULL,
    unit_path      TEXT COLLATE "C" NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    resolved_at    TIMESTAMP,
    resolved_by    TEXT,
    resolution     TEXT
);
CREATE INDEX level_reviews_open ON level_reviews (unit_path, id) WHERE resolved_at IS NULL;
