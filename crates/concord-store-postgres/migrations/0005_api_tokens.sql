-- API tokens for programs: only each token's SHA-256 is kept (the token is shown once).
CREATE TABLE api_tokens (
    id      TEXT    PRIMARY KEY NOT NULL,
    sha256  TEXT    NOT NULL UNIQUE,
    revoked BOOLEAN NOT NULL,
    body    TEXT    NOT NULL
);
