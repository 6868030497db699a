DROP INDEX contacts_created;
DROP INDEX persons_updated;
DROP TABLE sync_batches;
