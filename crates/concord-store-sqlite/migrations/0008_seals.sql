-- Every seal received (the signing key and the nonce of a signed command): a command is
-- carried out once, and refused the second time, whatever its kind. Derived from the
-- ledger's signed events in the same transaction.
CREATE TABLE seals (
    nonce  TEXT NOT NULL,
    key_id TEXT NOT NULL,
    PRIMARY KEY (nonce, key_id)
);
