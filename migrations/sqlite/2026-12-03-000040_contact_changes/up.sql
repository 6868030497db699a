-- A contact changes after it is logged (retracted, or moved to the record its person was
-- linked into), and the phones' feed of contacts must hand it out again when it does: the
-- time of its last change, ordered with the id for the feed's cursor. The contacts already
-- here changed last when they were retracted, or else when they were logged. (SQLite adds
-- a NOT NULL column only with a constant default; every row is filled at once below, and
-- every insert gives the column.)
ALTER TABLE contacts ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE contacts SET updated_at = max(created_at, COALESCE(retracted_at, created_at));
DROP INDEX contacts_created;
CREATE INDEX contacts_updated ON contacts (updated_at, id);
