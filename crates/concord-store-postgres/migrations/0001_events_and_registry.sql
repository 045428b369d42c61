-- The event log: every change to Concord, in order. Append-only. Each event is one leaf of
-- the ledger: `body` is the RFC 8785 canonical JSON of the ledger entry (index, time,
-- event), exactly the bytes the leaf hash covers.
CREATE TABLE events (
    leaf_index  BIGINT  PRIMARY KEY NOT NULL,
    kind        TEXT    NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    body        TEXT    NOT NULL
);

-- The ledger's Merkle tree: the stored hashes of the Go sumdb tlog layout (leaf hashes and
-- the roots of complete subtrees, about two per leaf), by stored index.
CREATE TABLE ledger_hashes (
    idx  BIGINT PRIMARY KEY NOT NULL,
    hash BYTEA  NOT NULL
);

-- How many leaves the ledger holds; locked by every commit, so leaves are numbered without
-- gaps or races.
CREATE TABLE ledger_head (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    size BIGINT  NOT NULL
);
INSERT INTO ledger_head (id, size) VALUES (1, 0);

-- Data files loaded by `concord init`, so that loading them again is a no-op.
CREATE TABLE datasets (
    name       TEXT    PRIMARY KEY NOT NULL,
    sha256     TEXT    NOT NULL,
    last_event BIGINT  NOT NULL REFERENCES events (leaf_index)
);

-- Read tables, derived from the events in the same transaction. Each keeps the indexed
-- columns its queries filter on, and the domain record as JSON.
CREATE TABLE charter (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT    NOT NULL
);

CREATE TABLE sources (
    file TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE member_statuses (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member TEXT    NOT NULL,
    status TEXT    NOT NULL,
    body   TEXT    NOT NULL
);
CREATE INDEX member_statuses_member ON member_statuses (member);

CREATE TABLE sessions (
    id     TEXT    PRIMARY KEY NOT NULL,
    year   INTEGER NOT NULL,
    starts DATE    NOT NULL, -- earliest day the (possibly partial) date stands for
    body   TEXT    NOT NULL
);
CREATE INDEX sessions_year ON sessions (year, starts);

CREATE TABLE session_bodies (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    body_code  TEXT NOT NULL,
    PRIMARY KEY (session_id, body_code)
);
CREATE INDEX session_bodies_body ON session_bodies (body_code);

CREATE TABLE documents (
    id         TEXT    PRIMARY KEY NOT NULL,
    session_id TEXT    NOT NULL REFERENCES sessions (id),
    position   BIGINT  NOT NULL,
    body       TEXT    NOT NULL
);
CREATE INDEX documents_session ON documents (session_id, position);

CREATE TABLE appointments (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post TEXT    NOT NULL,
    body TEXT    NOT NULL
);

CREATE TABLE chairmanship_statements (
    year INTEGER PRIMARY KEY NOT NULL,
    body TEXT    NOT NULL
);

CREATE TABLE exercise_years (
    year INTEGER PRIMARY KEY NOT NULL,
    body TEXT    NOT NULL
);

CREATE TABLE exercises (
    id   TEXT    PRIMARY KEY NOT NULL,
    year INTEGER NOT NULL,
    body TEXT    NOT NULL
);

CREATE TABLE programmes (
    id   TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);
