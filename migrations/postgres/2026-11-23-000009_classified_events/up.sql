-- The reports read the event log by time only for classifications. An index of every event
-- by action cost each write one more B-tree (a logged contact, a check-in, a result); one
-- over classifications alone serves the same queries.
DROP INDEX events_action_at;
CREATE INDEX events_classified_at ON events (entity_type, at) WHERE action = 'classified';
