-- Refuses to run on a database that holds samples: dropping them would lose results.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM samples) OR EXISTS (SELECT 1 FROM pools) THEN
        RAISE EXCEPTION 'refusing to drop tables that hold samples';
    END IF;
END $$;
DROP TABLE samples;
DROP TABLE sampling_rounds;
DROP TABLE pools;
DROP TABLE labs;
