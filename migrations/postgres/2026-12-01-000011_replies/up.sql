-- The first answer to a create that carried the client's id, so that the same request sent
-- again (a phone retrying on a bad network, even several copies at once) gets that answer
-- again, status and body. Kept for a while only (REPLY_HOURS): the answer holds the record.
CREATE TABLE replies (
    operation    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (operation, client_id, user_id)
);
CREATE INDEX replies_created_at ON replies (created_at);
