-- Refuses to run on a database that holds cases or contacts: dropping them would lose records.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM cases) OR EXISTS (SELECT 1 FROM contacts) THEN
        RAISE EXCEPTION 'refusing to drop tables that hold cases or contacts';
    END IF;
END $$;
DROP TABLE level_reviews;
DROP TABLE exposures;
DROP TABLE contacts;
DROP TABLE cases;
