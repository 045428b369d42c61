-- The ledger's events keyed by their leaf index as the table's own row id (`INTEGER
-- PRIMARY KEY`), as ledger_hashes is since 0003: a `BIGINT PRIMARY KEY` is a second B-tree
-- beside the table, written at every append and read by every range of entries. Seals, a
-- small key and nothing else, live in their key's B-tree alone (`WITHOUT ROWID`).
--
-- Migrations run with foreign keys off (`SqliteStore::open`), the way SQLite's manual
-- gives for rebuilding a table others refer to: decisions and datasets keep referring to
-- `events` by name, and the keys are checked once all migrations are done.

CREATE TABLE events_by_rowid (
    leaf_index  INTEGER PRIMARY KEY NOT NULL,
    kind        TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    subject     TEXT
);
INSERT INTO events_by_rowid (leaf_index, kind, recorded_at, body, subject)
    SELECT leaf_index, kind, recorded_at, body, subject FROM events ORDER BY leaf_index;
DROP TABLE events;
ALTER TABLE events_by_rowid RENAME TO events;
CREATE INDEX events_subject ON events (subject, leaf_index);

CREATE TABLE seals_by_key (
    issued_at TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    PRIMARY KEY (issued_at, key_id, nonce)
) WITHOUT ROWID;
INSERT INTO seals_by_key (issued_at, key_id, nonce) SELECT issued_at, key_id, nonce FROM seals;
DROP TABLE seals;
ALTER TABLE seals_by_key RENAME TO seals;

