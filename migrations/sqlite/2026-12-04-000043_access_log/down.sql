DROP TABLE access_people;
DROP TABLE access_records;
