//! The paged lists a reader sees on SQLite (incident reports, alerts, situations): the
//! queries `concord_store_sql` builds, with the reader's scope in them, run on this
//! store's readers.

use concord_core::access::Scope;
use concord_core::council::SignedIncident;
use concord_store::alerts::AlertPage;
use concord_store::projection::SituationRow;
use concord_store::{IncidentFilter, StoreError};
use concord_store_sql::Dialect;

use crate::{SqliteStore, db_error};

/// What SQLite writes its own way in these queries.
const DIALECT: Dialect = Dialect {
    text_contains: "instr(lower(json_extract(r.body, '$.report.title') || ' ' || json_extract(r.body, '$.report.text')), ",
};

pub(crate) async fn incident_reports(
    store: &SqliteStore,
    scope: &Scope,
    filter: &IncidentFilter,
) -> Result<Vec<SignedIncident>, StoreError> {
    let bodies: Vec<String> =
        concord_store_sql::incident_reports::<sqlx::Sqlite>(scope, filter, &DIALECT)
            .build_query_scalar()
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
    StoreError::decode_all("incident report", bodies)
}

pub(crate) async fn alert_summaries(
    store: &SqliteStore,
    scope: &Scope,
    page: &AlertPage,
) -> Result<Vec<String>, StoreError> {
    concord_store_sql::alert_summaries::<sqlx::Sqlite>(scope, page)
        .build_query_scalar()
        .fetch_all(&store.pool)
        .await
        .map_err(db_error)
}

pub(crate) async fn situation_summaries(
    store: &SqliteStore,
    after: Option<&(String, String)>,
    limit: i64,
) -> Result<Vec<SituationRow>, StoreError> {
    let rows: Vec<(String, String, String, String, String)> =
        concord_store_sql::situation_summaries::<sqlx::Sqlite>(after, limit)
            .build_query_as()
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(id, opened_at, title, level, reports)| SituationRow {
            id,
            opened_at,
            title,
            level,
            reports,
        })
        .collect())
}
