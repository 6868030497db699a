DROP TABLE lookup_counts;
DROP INDEX persons_pending_national_id;
ALTER TABLE persons DROP COLUMN pending_national_id;
DROP TABLE notices;
