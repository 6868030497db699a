-- Phone sync: the answer to each pushed batch, kept so that a batch sent again gets the
-- same answer and changes nothing.
CREATE TABLE sync_batches (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    item_count  INTEGER NOT NULL,
    response    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX persons_updated ON persons (updated_at, id);
CREATE INDEX contacts_created ON contacts (created_at, id);
