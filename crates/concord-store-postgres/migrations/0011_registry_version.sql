-- The registry's version: bumped in the same transaction as every change to member
-- statuses, keys or nodes, whoever makes it (any server on this database, a command-line
-- tool, an operator's own SQL), so that a server may keep the registry it read until the
-- version moves.
CREATE TABLE registry_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

CREATE FUNCTION registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER member_statuses_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON member_statuses FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON keys FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
CREATE TRIGGER nodes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON nodes FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
