//! Incident reports: signed reports in; out, only what the reader may read.
//!
//! The reader is the request's bearer token's holder, or the public without one
//! ([`crate::reader`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use concord_core::council::{Command, SignedCommand};
use concord_store::IncidentFilter;
use concord_store::council;
use concord_store::incidents;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::ApiQuery;
use crate::problem::{Problem, ProblemKind};
use crate::reader::ReaderOf;

/// The incident routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list).post(report))
        .route("/api/v1/incidents/{id}", get(one))
}

/// Records a signed `report-incident` command.
async fn report(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let signed: SignedCommand = serde_json::from_slice(&body).map_err(|e| {
        Problem::new(
            ProblemKind::BadBody,
            format!("not a signed incident report ({e}); expected {{\"command\": {{\"action\": \"report-incident\", ...}}, \"key\": ..., \"signature\": ...}}"),
        )
    })?;
    let Command::ReportIncident(report) = &signed.command else {
        return Err(Problem::new(
            ProblemKind::BadBody,
            format!(
                "`{}` is not an incident report: post it to /api/v1/council/commands",
                signed.command.action()
            ),
        ));
    };
    let today = time::OffsetDateTime::now_utc().date();
    let done = council::execute(state.store.as_ref(), &signed, today).await?;
    state.tail.wake();
    tracing::info!(id = %report.id, version = report.version, key = signed.key, "incident reported");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": report.id, "version": report.version, "last_leaf": done.last_leaf })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    domain: Option<String>,
    country: Option<String>,
    limit: Option<String>,
}

/// The latest version of each report the reader may read.
async fn list(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Value>, Problem> {
    let limit = match q.limit {
        None => 100,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| Problem::bad_parameter(format!("limit: `{l}` is not 1 to 1000")))?,
    };
    let filter = IncidentFilter {
        domain: q.domain,
        country: q.country,
        limit,
    };
    let found = incidents::incidents(state.store.as_ref(), &reader, &filter).await?;
    Ok(Json(
        serde_json::to_value(found).expect("reports serialise"),
    ))
}

/// The versions of one report the reader may read.
async fn one(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let versions = incidents::incident(state.store.as_ref(), &reader, &id).await?;
    if versions.is_empty() {
        // Whether it exists and is withheld, or does not exist, is not said.
        return Err(Problem::unknown(format!(
            "no incident report `{id}` that you may read"
        )));
    }
    Ok(Json(json!({ "id": id, "versions": versions })))
}
