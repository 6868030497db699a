-- The people a read showed, waiting to be filed into access_people. A read writes its
-- access record and one row here (the people, as one sorted JSON list), so that a page of fifty
-- people costs the answer two rows, not fifty-one scattered over the person index; a
-- thread files the waiting rows in sorted batches a moment later, and every read of the
-- log files what is waiting first, so the log answers as if filed at once. Rows here are
-- work, not evidence: they go once filed. People are named by id only.
CREATE TABLE access_queue (
    part        TEXT PRIMARY KEY,
    access_id   TEXT NOT NULL REFERENCES access_records (id),
    people      TEXT NOT NULL
);
