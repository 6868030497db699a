-- Only indexes: nothing recorded is lost.
DROP INDEX trace_tasks_person;
DROP INDEX samples_resulted_at;
DROP INDEX samples_collected_at;
DROP INDEX episodes_released_at;
DROP INDEX episodes_admitted_at;
DROP INDEX events_action_at;
DROP INDEX exposures_via_person;
DROP INDEX cases_confirmed_at;
