-- Refuses to run on a database that holds quarantine records: dropping them would lose them.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM episodes) OR EXISTS (SELECT 1 FROM sites) OR EXISTS (SELECT 1 FROM homes) THEN
        RAISE EXCEPTION 'refusing to drop tables that hold quarantine records';
    END IF;
END $$;
DROP TABLE violations;
DROP TABLE follow_ups;
DROP TABLE daily_reports;
DROP TABLE warning_signs;
DROP TABLE episode_tests;
DROP TABLE episodes;
DROP TABLE homes;
DROP TABLE beds;
DROP TABLE rooms;
DROP TABLE site_areas;
DROP TABLE sites;
DROP TABLE regimes;
