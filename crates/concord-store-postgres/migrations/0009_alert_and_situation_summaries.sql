-- What lists of alerts and situations show, stored when the event is recorded so that a
-- list reads a page of rows, never every stored CAP message. Alerts carry their
-- releasability in columns: a list chooses rows by the reader's scope in the query.
CREATE TABLE alerts (
    id            TEXT NOT NULL PRIMARY KEY,
    issuer        TEXT NOT NULL,
    release_to    TEXT NOT NULL,
    release_group TEXT,
    received_at   TEXT NOT NULL, -- UTC, fixed width: sorts as time does
    situation     TEXT,
    summary       TEXT NOT NULL
);
CREATE INDEX alerts_received ON alerts (received_at, id);

CREATE TABLE situations (
    id        TEXT NOT NULL PRIMARY KEY,
    opened_at TEXT NOT NULL,
    title     TEXT NOT NULL,
    level     TEXT NOT NULL,
    reports   TEXT NOT NULL -- JSON array of report ids
);
