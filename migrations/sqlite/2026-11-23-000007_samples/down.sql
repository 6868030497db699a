-- Refuses to run on a database that holds samples: dropping them would lose results.
CREATE TEMP TABLE _guard (ok INTEGER CHECK (ok = 1));
INSERT INTO _guard SELECT CASE WHEN (SELECT count(*) FROM samples) + (SELECT count(*) FROM pools) = 0 THEN 1 ELSE 0 END;
DROP TABLE _guard;
DROP TABLE samples;
DROP TABLE sampling_rounds;
DROP TABLE pools;
DROP TABLE labs;
