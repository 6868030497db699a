-- Retention as data: versioned policies saying how long each kind of person's personal data
-- is kept after their last record closed (never edited; the latest version is in force),
-- seeded with the one shipped; and the people a purge anonymised, with the policy it
-- applied (a person's row stays, emptied of what named them, so that reports do not move).
CREATE TABLE retention_policies (
    id         TEXT PRIMARY KEY NOT NULL,
    version    INTEGER NOT NULL UNIQUE,
    rules      TEXT NOT NULL,
    note       TEXT,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO retention_policies (id, version, rules, note, created_by, created_at)
VALUES ('retention.v1', 1,
        '{"rules":[{"kind":"never_f0","days":90},{"kind":"f0","days":365}]}',
        'shipped with the system', NULL, '2026-12-04 00:00:00');

CREATE TABLE purged_people (
    person_id  TEXT PRIMARY KEY NOT NULL REFERENCES persons (id),
    purged_at  TIMESTAMP NOT NULL,
    policy_id  TEXT NOT NULL REFERENCES retention_policies (id),
    rule       TEXT NOT NULL,
    run_id     TEXT NOT NULL
);
