-- Failed logins per username and client address, and per username across clients (client
-- '*'): a client that keeps failing is locked out alone, and a username failing from many
-- addresses is slowed down, never locked for everyone. The counts kept so far carry over as
-- the username's counts across clients; their locks were global and are lifted.
CREATE TABLE login_guards (
    username     TEXT NOT NULL,
    client       TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    last_failure TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    PRIMARY KEY (username, client)
);
INSERT INTO login_guards (username, client, failures, last_failure, locked_until)
SELECT username, '*', failures, last_failure, NULL FROM login_throttle;
DROP TABLE login_throttle;
