-- The workflow around each F0: the investigation and its steps, epidemiological landmarks,
-- and trace tasks (people to locate).

CREATE TABLE investigations (
    id                  TEXT PRIMARY KEY NOT NULL,
    case_id             TEXT NOT NULL UNIQUE REFERENCES cases (id),
    person_id           TEXT NOT NULL REFERENCES persons (id),
    state               TEXT NOT NULL,
    opened_at           TIMESTAMP NOT NULL,
    tracing_at          TIMESTAMP,
    isolating_at        TIMESTAMP,
    sampling_at         TIMESTAMP,
    monitoring_at       TIMESTAMP,
    closed_at           TIMESTAMP,
    tracing_due         TIMESTAMP NOT NULL,
    isolating_due       TIMESTAMP NOT NULL,
    sampling_due        TIMESTAMP NOT NULL,
    unit_path           TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX investigations_unit_path ON investigations (unit_path, id);

CREATE TABLE landmarks (
    id           TEXT PRIMARY KEY NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    place        TEXT NOT NULL,
    address      TEXT,
    unit_code    TEXT REFERENCES admin_units (code),
    unit_path    TEXT NOT NULL,
    from_at      TIMESTAMP NOT NULL,
    to_at        TIMESTAMP NOT NULL,
    public       BOOLEAN NOT NULL,
    created_by   TEXT,
    created_at   TIMESTAMP NOT NULL,
    retracted_at TIMESTAMP,
    CHECK (to_at >= from_at)
);
CREATE INDEX landmarks_case ON landmarks (case_id);
CREATE INDEX landmarks_public ON landmarks (unit_path, from_at) WHERE public;

CREATE TABLE trace_tasks (
    id            TEXT PRIMARY KEY NOT NULL,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    person_id     TEXT NOT NULL REFERENCES persons (id),
    assignee_id   TEXT REFERENCES users (id),
    team          TEXT,
    state         TEXT NOT NULL,
    due_at        TIMESTAMP NOT NULL,
    note          TEXT,
    unit_path     TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_by    TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK (assignee_id IS NOT NULL OR team IS NOT NULL)
);
CREATE INDEX trace_tasks_case ON trace_tasks (case_id);
CREATE INDEX trace_tasks_pending ON trace_tasks (unit_path, due_at) WHERE state IN ('open', 'in_progress');
