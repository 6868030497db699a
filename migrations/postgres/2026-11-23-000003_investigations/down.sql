-- Refuses to run on a database that holds investigations: dropping them would lose records.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM investigations) OR EXISTS (SELECT 1 FROM landmarks) OR EXISTS (SELECT 1 FROM trace_tasks) THEN
        RAISE EXCEPTION 'refusing to drop tables that hold investigations';
    END IF;
END $$;
DROP TABLE trace_tasks;
DROP TABLE landmarks;
DROP TABLE investigations;
