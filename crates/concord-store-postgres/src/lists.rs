//! The paged lists a reader sees on PostgreSQL (incident reports, alerts, situations): the
//! queries `concord_store_sql` builds, with the reader's scope in them, run on this
//! store's readers.

use concord_core::access::Scope;
use concord_core::council::SignedIncident;
use concord_store::alerts::AlertPage;
use concord_store::projection::SituationRow;
use concord_store::{IncidentFilter, StoreError};
use concord_store_sql::Dialect;

use crate::{PostgresStore, db_error};

/// What PostgreSQL writes its own way in these queries.
const DIALECT: Dialect = Dialect {
    text_contains: "strpos(lower((r.body::jsonb #>> '{report,title}') || ' ' || (r.body::jsonb #>> '{report,text}')), ",
};

pub(crate) async fn incident_reports(
    store: &PostgresStore,
    scope: &Scope,
    filter: &IncidentFilter,
) -> Result<Vec<SignedIncident>, StoreError> {
    let bodies: Vec<String> =
        concord_store_sql::incident_reports::<sqlx::Postgres>(scope, filter, &DIALECT)
            .build_query_scalar()
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
    StoreError::decode_all("incident report", bodies)
}

pub(crate) async fn alert_summaries(
    store: &PostgresStore,
    scope: &Scope,
    page: &AlertPage,
) -> Result<Vec<String>, StoreError> {
    concord_store_sql::alert_summaries::<sqlx::Postgres>(scope, page)
        .build_query_scalar()
        .fetch_all(&store.pool)
        .await
        .map_err(db_error)
}

pub(crate) async fn situation_summaries(
    store: &PostgresStore,
    after: Option<&(String, String)>,
    limit: i64,
) -> Result<Vec<SituationRow>, StoreError> {
    let rows: Vec<(String, String, String, String, String)> =
        concord_store_sql::situation_summaries::<sqlx::Postgres>(after, limit)
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
