-- Isolate: quarantine regimes as data, concentrated sites with rooms and beds, homes with
-- their warning signs and daily reports, and quarantine episodes with their scheduled tests.

-- A regime is never edited once written: a change is a new version of the same code.
CREATE TABLE regimes (
    id             TEXT PRIMARY KEY NOT NULL,
    code           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    effective_from DATE NOT NULL,
    document       TEXT NOT NULL,
    province_code  TEXT REFERENCES admin_units (code),
    rules          TEXT NOT NULL,
    note           TEXT,
    created_by     TEXT,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (code, version)
);

CREATE TABLE sites (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    address     TEXT NOT NULL,
    unit_code   TEXT NOT NULL REFERENCES admin_units (code),
    unit_path   TEXT NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity >= 0),
    version     INTEGER NOT NULL DEFAULT 1,
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX sites_unit_path ON sites (unit_path, id);

CREATE TABLE site_areas (
    id          TEXT PRIMARY KEY NOT NULL,
    site_id     TEXT NOT NULL REFERENCES sites (id),
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE rooms (
    id          TEXT PRIMARY KEY NOT NULL,
    site_id     TEXT NOT NULL REFERENCES sites (id),
    area_id     TEXT REFERENCES site_areas (id),
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE beds (
    id          TEXT PRIMARY KEY NOT NULL,
    room_id     TEXT NOT NULL REFERENCES rooms (id),
    site_id     TEXT NOT NULL REFERENCES sites (id),
    label       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (room_id, label)
);
CREATE INDEX beds_site ON beds (site_id);

CREATE TABLE homes (
    id                          TEXT PRIMARY KEY NOT NULL,
    address                     TEXT NOT NULL,
    unit_code                   TEXT NOT NULL REFERENCES admin_units (code),
    unit_path                   TEXT NOT NULL,
    own_room                    BOOLEAN NOT NULL,
    own_toilet                  BOOLEAN NOT NULL,
    no_shared_air_conditioning  BOOLEAN NOT NULL,
    officer_id                  TEXT REFERENCES users (id),
    version                     INTEGER NOT NULL DEFAULT 1,
    created_by                  TEXT,
    created_at                  TIMESTAMP NOT NULL,
    updated_at                  TIMESTAMP NOT NULL
);
CREATE INDEX homes_unit_path ON homes (unit_path, id);

CREATE TABLE episodes (
    id                    TEXT PRIMARY KEY NOT NULL,
    person_id             TEXT NOT NULL REFERENCES persons (id),
    level                 INTEGER NOT NULL,
    mode                  TEXT NOT NULL,
    state                 TEXT NOT NULL,
    regime_id             TEXT NOT NULL REFERENCES regimes (id),
    day1                  DATE NOT NULL,
    days                  INTEGER NOT NULL,
    release_from          DATE NOT NULL,
    monitoring_days       INTEGER NOT NULL,
    site_id               TEXT REFERENCES sites (id),
    room_id               TEXT REFERENCES rooms (id),
    bed_id                TEXT REFERENCES beds (id),
    home_id               TEXT REFERENCES homes (id),
    household_role        TEXT NOT NULL,
    admitted_at           TIMESTAMP,
    released_at           TIMESTAMP,
    monitoring_from       DATE,
    closed_at             TIMESTAMP,
    destination           TEXT,
    next_episode_id       TEXT,
    previous_episode_id   TEXT,
    commitment_signed_at  TIMESTAMP,
    reason                TEXT,
    unit_path             TEXT NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1,
    created_by            TEXT,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    CHECK (mode <> 'concentrated' OR site_id IS NOT NULL)
);
-- one episode in force per person
CREATE UNIQUE INDEX episodes_open_person ON episodes (person_id) WHERE state IN ('ordered', 'active', 'absconded');
-- one person per bed: two managers racing for the last bed cannot both win
CREATE UNIQUE INDEX episodes_bed ON episodes (bed_id) WHERE state = 'active';
CREATE INDEX episodes_unit_state ON episodes (unit_path, state);
CREATE INDEX episodes_site_state ON episodes (site_id, state);
CREATE INDEX episodes_room_state ON episodes (room_id, state);
CREATE INDEX episodes_home ON episodes (home_id);
CREATE INDEX episodes_person ON episodes (person_id);

CREATE TABLE episode_tests (
    id             TEXT PRIMARY KEY NOT NULL,
    episode_id     TEXT NOT NULL REFERENCES episodes (id),
    phase          TEXT NOT NULL,
    day            INTEGER NOT NULL,
    due_date       DATE NOT NULL,
    result         TEXT,
    resulted_at    TIMESTAMP,
    recorded_by    TEXT,
    superseded_at  TIMESTAMP,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX episode_tests_episode ON episode_tests (episode_id);

CREATE TABLE warning_signs (
    id              TEXT PRIMARY KEY NOT NULL,
    home_id         TEXT NOT NULL REFERENCES homes (id),
    state           TEXT NOT NULL,
    posted_by       TEXT,
    posted_at       TIMESTAMP NOT NULL,
    photo_ref       TEXT,
    removed_by      TEXT,
    removed_at      TIMESTAMP,
    removed_reason  TEXT,
    unit_path       TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL
);
-- one sign at the door at a time
CREATE UNIQUE INDEX warning_signs_posted ON warning_signs (home_id) WHERE state = 'posted';

CREATE TABLE daily_reports (
    id             TEXT PRIMARY KEY NOT NULL,
    episode_id     TEXT NOT NULL REFERENCES episodes (id),
    report_date    DATE NOT NULL,
    temperature_c  DOUBLE,
    symptoms       TEXT NOT NULL,
    source         TEXT NOT NULL,
    recorded_by    TEXT,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX daily_reports_episode ON daily_reports (episode_id, report_date);

CREATE TABLE follow_ups (
    id           TEXT PRIMARY KEY NOT NULL,
    episode_id   TEXT NOT NULL REFERENCES episodes (id),
    kind         TEXT NOT NULL,
    for_date     DATE NOT NULL,
    state        TEXT NOT NULL,
    note         TEXT,
    unit_path    TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    resolved_at  TIMESTAMP,
    resolved_by  TEXT,
    UNIQUE (episode_id, kind, for_date)
);
CREATE INDEX follow_ups_open ON follow_ups (unit_path, id) WHERE state = 'open';

-- Leaving home quarantine, and other breaches: they go to the police list.
CREATE TABLE violations (
    id           TEXT PRIMARY KEY NOT NULL,
    episode_id   TEXT NOT NULL REFERENCES episodes (id),
    person_id    TEXT NOT NULL REFERENCES persons (id),
    kind         TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    note         TEXT,
    unit_path    TEXT NOT NULL,
    reported_by  TEXT,
    created_at   TIMESTAMP NOT NULL,
    handled_at   TIMESTAMP,
    handled_by   TEXT,
    outcome      TEXT
);
CREATE INDEX violations_open ON violations (unit_path, id) WHERE handled_at IS NULL;
