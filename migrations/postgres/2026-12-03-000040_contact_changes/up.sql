-- A contact changes after it is logged (retracted, or moved to the record its person was
-- linked into), and the phones' feed of contacts must hand it out again when it does: the
-- time of its last change, ordered with the id for the feed's cursor. The contacts already
-- here changed last when they were retracted, or else when they were logged.
ALTER TABLE contacts ADD COLUMN updated_at TIMESTAMP;
UPDATE contacts SET updated_at = GREATEST(created_at, COALESCE(retracted_at, created_at));
ALTER TABLE contacts ALTER COLUMN updated_at SET NOT NULL;
DROP INDEX contacts_created;
CREATE INDEX contacts_updated ON contacts (updated_at, id);
