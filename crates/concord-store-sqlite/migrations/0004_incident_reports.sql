-- Incident reports of the national crisis centres, every version. The columns are what
-- searches filter on; releasability (`release_to`, `release_group`) is applied to every
-- read by one function in concord-store.
CREATE TABLE incident_reports (
    id            TEXT    NOT NULL,
    version       BIGINT  NOT NULL,
    reporter      TEXT    NOT NULL,
    domain        TEXT    NOT NULL,
    country       TEXT    NOT NULL,
    occurred_at   TEXT    NOT NULL, -- UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ: sorts as time does
    severity      TEXT    NOT NULL,
    severity_rank BIGINT  NOT NULL, -- 4 Extreme … 0 Unknown
    release_to    TEXT    NOT NULL,
    release_group TEXT,
    west          DOUBLE PRECISION NOT NULL,
    south         DOUBLE PRECISION NOT NULL,
    east          DOUBLE PRECISION NOT NULL,
    north         DOUBLE PRECISION NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX incident_reports_search ON incident_reports (domain, country, occurred_at);
CREATE INDEX incident_reports_time ON incident_reports (occurred_at);
