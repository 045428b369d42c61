-- The registry's version: bumped in the same transaction as every change to member
-- statuses, keys or nodes, whoever makes it (this server, another process, an operator's
-- own SQL), so that a server may keep the registry it read until the version moves.
CREATE TABLE registry_version (
    id      INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

CREATE TRIGGER member_statuses_inserted AFTER INSERT ON member_statuses
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER member_statuses_updated AFTER UPDATE ON member_statuses
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER member_statuses_deleted AFTER DELETE ON member_statuses
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER keys_inserted AFTER INSERT ON keys
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER keys_updated AFTER UPDATE ON keys
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER keys_deleted AFTER DELETE ON keys
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER nodes_inserted AFTER INSERT ON nodes
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER nodes_updated AFTER UPDATE ON nodes
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER nodes_deleted AFTER DELETE ON nodes
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
