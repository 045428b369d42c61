-- The council's procedure: keys, document versions, circulations, signed positions and
-- decisions. Every event now names the record it changes (its subject), so a command can
-- check that nothing changed that record between reading it and writing.
ALTER TABLE events ADD COLUMN subject TEXT;
CREATE INDEX events_subject ON events (subject, leaf_index);

CREATE TABLE keys (
    key_id TEXT PRIMARY KEY NOT NULL,
    owner  TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE INDEX keys_owner ON keys (owner);

CREATE TABLE document_versions (
    document_id TEXT    NOT NULL REFERENCES documents (id),
    number      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (document_id, number)
);

CREATE TABLE circulations (
    document_id TEXT    NOT NULL REFERENCES documents (id),
    version     INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (document_id, version)
);

-- One position per member and version: a replayed or second position is refused here too.
CREATE TABLE positions (
    document_id TEXT    NOT NULL REFERENCES documents (id),
    version     INTEGER NOT NULL,
    member      TEXT    NOT NULL,
    seq         BIGINT  NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (document_id, version, member)
);

CREATE TABLE decisions (
    document_id TEXT   PRIMARY KEY NOT NULL REFERENCES documents (id),
    leaf_index  BIGINT NOT NULL REFERENCES events (leaf_index),
    body        TEXT   NOT NULL
);
