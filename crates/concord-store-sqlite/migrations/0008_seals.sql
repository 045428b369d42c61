-- Every seal received (the moment it claims, the signing key and the nonce of a signed
-- command): a command is carried out once, and refused the second time, whatever its kind.
-- Derived from the ledger's signed events in the same transaction. The moment leads the key,
-- so that new seals, nearly all claiming about now, are written at one end of the index
-- rather than on pages all over it.
CREATE TABLE seals (
    issued_at TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    PRIMARY KEY (issued_at, key_id, nonce)
);
