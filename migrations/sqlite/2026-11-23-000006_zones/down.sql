-- Refuses to run on a database that holds zones, risk levels or a cordon step: dropping them
-- would lose records.
CREATE TEMP TABLE _guard (ok INTEGER CHECK (ok = 1));
INSERT INTO _guard SELECT CASE WHEN (SELECT count(*) FROM zones) + (SELECT count(*) FROM unit_risk_levels) + (SELECT count(*) FROM investigations WHERE cordoning_at IS NOT NULL OR state = 'cordoning') = 0 THEN 1 ELSE 0 END;
DROP TABLE _guard;
ALTER TABLE investigations DROP COLUMN cordoning_due;
ALTER TABLE investigations DROP COLUMN cordoning_at;
DROP TRIGGER unit_risk_levels_no_delete;
DROP TRIGGER unit_risk_levels_no_update;
DROP TABLE unit_risk_levels;
DROP TABLE zone_investigations;
DROP TABLE zone_units;
DROP TABLE zones;
