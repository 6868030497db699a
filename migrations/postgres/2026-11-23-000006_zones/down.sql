-- Refuses to run on a database that holds zones, risk levels or a cordon step: dropping them
-- would lose records.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM zones) OR EXISTS (SELECT 1 FROM unit_risk_levels)
       OR EXISTS (SELECT 1 FROM investigations WHERE cordoning_at IS NOT NULL OR state = 'cordoning') THEN
        RAISE EXCEPTION 'refusing to drop tables that hold zones or risk levels';
    END IF;
END $$;
ALTER TABLE investigations DROP COLUMN cordoning_due;
ALTER TABLE investigations DROP COLUMN cordoning_at;
DROP TRIGGER unit_risk_levels_no_update ON unit_risk_levels;
DROP FUNCTION unit_risk_levels_append_only();
DROP TABLE unit_risk_levels;
DROP TABLE zone_investigations;
DROP TABLE zone_units;
DROP TABLE zones;
