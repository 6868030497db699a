DROP TRIGGER persons_names_update;
DROP TRIGGER persons_names_delete;
DROP TRIGGER persons_names_insert;
DROP TABLE person_names;
