-- `BIGINT PRIMARY KEY` is not SQLite's rowid alias: every hash lookup went through a
-- separate index, then the table. Keyed by rowid, a lookup (and an insert) touches one
-- B-tree.
CREATE TABLE ledger_hashes_by_rowid (
    idx  INTEGER PRIMARY KEY NOT NULL,
    hash BLOB    NOT NULL
);
INSERT INTO ledger_hashes_by_rowid (idx, hash) SELECT idx, hash FROM ledger_hashes;
DROP TABLE ledger_hashes;
ALTER TABLE ledger_hashes_by_rowid RENAME TO ledger_hashes;
