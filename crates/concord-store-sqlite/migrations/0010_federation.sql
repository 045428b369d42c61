-- The federation. `nodes`: the registry's nodes (read table of `node-registered`).
-- `mirror_*`: what this node holds of other nodes' logs, each under its origin: every leaf
-- hash, the entry where this node's state may read it (NULL where it was withheld), the
-- stored hashes of the tree (as `ledger_hashes`), and the latest checkpoint verified.
-- `federation_refusals`: what a peer sent that failed a check, with the evidence.
CREATE TABLE nodes (
    origin TEXT PRIMARY KEY NOT NULL,
    owner  TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE TABLE mirror_leaves (
    origin    TEXT    NOT NULL,
    idx       INTEGER NOT NULL,
    leaf_hash BLOB    NOT NULL,
    entry     TEXT,
    -- Received without its entry from a node that did not hold it (forwarding): the log's
    -- own node is asked for it again.
    unheld    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (origin, idx)
) WITHOUT ROWID;
CREATE TABLE mirror_hashes (
    origin TEXT    NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB    NOT NULL,
    PRIMARY KEY (origin, idx)
) WITHOUT ROWID;
CREATE TABLE mirror_checkpoints (
    origin      TEXT PRIMARY KEY NOT NULL,
    size        INTEGER NOT NULL,
    note        TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE federation_refusals (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    peer     TEXT NOT NULL,
    origin   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    evidence TEXT NOT NULL
);
