-- The feed goes back to the time each contact was logged. The time of its last change is
-- the only thing lost, and the event log still holds when each contact was retracted.
DROP INDEX contacts_updated;
ALTER TABLE contacts DROP COLUMN updated_at;
CREATE INDEX contacts_created ON contacts (created_at, id);
