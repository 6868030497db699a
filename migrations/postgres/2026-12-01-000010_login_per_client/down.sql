CREATE TABLE login_throttle (
    username     TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    last_failure TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);
INSERT INTO login_throttle (username, failures, last_failure, locked_until)
SELECT username, failures, last_failure, locked_until FROM login_guards WHERE client = '*';
DROP TABLE login_guards;
