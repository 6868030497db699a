-- Cordon zones (khoanh vùng) with their units and the investigations that caused them, the
-- append-only history of risk levels of communes, and the investigation's cordon step.

CREATE TABLE zones (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    area_name   TEXT,
    state       TEXT NOT NULL,
    start_at    TIMESTAMP,
    end_at      TIMESTAMP,
    reason      TEXT,
    unit_path   TEXT COLLATE "C" NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CHECK (end_at IS NULL OR start_at IS NOT NULL AND end_at >= start_at)
);
CREATE INDEX zones_state ON zones (state, id);

CREATE TABLE zone_units (
    zone_id    TEXT NOT NULL REFERENCES zones (id),
    unit_code  TEXT NOT NULL REFERENCES admin_units (code),
    unit_path  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (zone_id, unit_code)
);
CREATE INDEX zone_units_path ON zone_units (unit_path, zone_id);

CREATE TABLE zone_investigations (
    zone_id           TEXT NOT NULL REFERENCES zones (id),
    investigation_id  TEXT NOT NULL REFERENCES investigations (id),
    PRIMARY KEY (zone_id, investigation_id)
);
CREATE INDEX zone_investigations_investigation ON zone_investigations (investigation_id);

CREATE TABLE unit_risk_levels (
    id            TEXT PRIMARY KEY NOT NULL,
    unit_code     TEXT NOT NULL REFERENCES admin_units (code),
    unit_path     TEXT COLLATE "C" NOT NULL,
    scale         TEXT NOT NULL,
    level         TEXT NOT NULL,
    effective_at  TIMESTAMP NOT NULL,
    reason        TEXT NOT NULL,
    set_by        TEXT,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX unit_risk_levels_unit ON unit_risk_levels (unit_code, scale, effective_at, id);
CREATE FUNCTION unit_risk_levels_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'risk levels are append-only';
END;
$$;
CREATE TRIGGER unit_risk_levels_no_update BEFORE UPDATE OR DELETE ON unit_risk_levels
    FOR EACH ROW EXECUTE FUNCTION unit_risk_levels_append_only();

-- Investigations opened before this migration have no cordon deadline.
ALTER TABLE investigations ADD COLUMN cordoning_at TIMESTAMP;
ALTER TABLE investigations ADD COLUMN cordoning_due TIMESTAMP;
