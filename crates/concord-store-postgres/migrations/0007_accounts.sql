-- People's accounts for the console. `accounts` is a read table of the ledger's
-- account-changed events; `credentials` and `console_sessions` are not on the ledger:
-- they hold an Argon2id hash of each password and the SHA-256 of each session's cookie.
CREATE TABLE accounts (
    username TEXT    PRIMARY KEY NOT NULL,
    closed   BOOLEAN NOT NULL,
    body     TEXT    NOT NULL
);

CREATE TABLE credentials (
    username      TEXT PRIMARY KEY NOT NULL REFERENCES accounts (username),
    password_hash TEXT NOT NULL,
    changed_at    TEXT NOT NULL
);

CREATE TABLE console_sessions (
    sha256     TEXT PRIMARY KEY NOT NULL,
    username   TEXT NOT NULL REFERENCES accounts (username),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX console_sessions_by_username ON console_sessions (username);
