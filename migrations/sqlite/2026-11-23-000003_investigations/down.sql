-- Refuses to run on a database that holds investigations: dropping them would lose records.
CREATE TEMP TABLE _guard (ok INTEGER CHECK (ok = 1));
INSERT INTO _guard SELECT CASE WHEN (SELECT count(*) FROM investigations) + (SELECT count(*) FROM landmarks) + (SELECT count(*) FROM trace_tasks) = 0 THEN 1 ELSE 0 END;
DROP TABLE _guard;
DROP TABLE trace_tasks;
DROP TABLE landmarks;
DROP TABLE investigations;
