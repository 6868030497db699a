-- Refuses to run on a database that holds cases or contacts: dropping them would lose records.
CREATE TEMP TABLE _guard (ok INTEGER CHECK (ok = 1));
INSERT INTO _guard SELECT CASE WHEN (SELECT count(*) FROM cases) + (SELECT count(*) FROM contacts) = 0 THEN 1 ELSE 0 END;
DROP TABLE _guard;
DROP TABLE level_reviews;
DROP TABLE exposures;
DROP TABLE contacts;
DROP TABLE cases;
