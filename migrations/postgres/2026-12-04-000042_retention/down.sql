DROP TABLE purged_people;
DROP TABLE retention_policies;
