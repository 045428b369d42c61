-- The federation. `nodes`: the registry's nodes (read table of `node-registered`).
-- `mirror_*`: what this node holds of other nodes' logs, each under its origin: every leaf
-- hash, the entry where this node's state may read it (NULL where it was withheld), the
-- stored hashes of the tree (as `ledger_hashes`), and the latest checkpoint verified.
-- `federation_refusals`: what a peer sent that failed a check, with the evidence.
CREATE TABLE nodes (
    origin TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    owner  TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE TABLE mirror_leaves (
    origin    TEXT COLLATE "C" NOT NULL,
    idx       BIGINT NOT NULL,
    leaf_hash BYTEA  NOT NULL,
    entry     TEXT,
    -- Received without its entry from a node that did not hold it (forwarding): the log's
    -- own node is asked for it again.
    unheld    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (origin, idx)
);
CREATE TABLE mirror_hashes (
    origin TEXT COLLATE "C" NOT NULL,
    idx    BIGINT NOT NULL,
    hash   BYTEA  NOT NULL,
    PRIMARY KEY (origin, idx)
);
CREATE TABLE mirror_checkpoints (
    origin      TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    size        BIGINT NOT NULL,
    note        TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE federation_refusals (
    id       BIGSERIAL PRIMARY KEY,
    at       TEXT NOT NULL,
    peer     TEXT NOT NULL,
    origin   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    evidence TEXT NOT NULL
);
