-- Refuses to run on a database that holds quarantine records: dropping them would lose them.
CREATE TEMP TABLE _guard (ok INTEGER CHECK (ok = 1));
INSERT INTO _guard SELECT CASE WHEN (SELECT count(*) FROM episodes) + (SELECT count(*) FROM sites) + (SELECT count(*) FROM homes) = 0 THEN 1 ELSE 0 END;
DROP TABLE _guard;
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
