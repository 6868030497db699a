DROP INDEX events_classified_at;
CREATE INDEX events_action_at ON events (action, at);
