DROP TABLE access_people;
DROP TABLE access_records;
DROP FUNCTION access_log_append_only();
