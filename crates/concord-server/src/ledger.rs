//! The ledger endpoints: signed checkpoint, its verifier key, inclusion and consistency
//! proofs, and the entries themselves.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use concord_ledger::proof::{ConsistencyProof, InclusionProof};
use concord_store::ledger;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::ApiQuery;
use crate::problem::Problem;
use crate::reader::ReaderOf;

/// The ledger's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ledger/checkpoint", get(checkpoint))
        .route("/api/v1/ledger/key", get(key))
        .route("/api/v1/ledger/proof/inclusion", get(inclusion))
        .route("/api/v1/ledger/proof/consistency", get(consistency))
        .route("/api/v1/ledger/entries", get(entries))
}

fn count(name: &str, value: &str) -> Result<u64, Problem> {
    value
        .parse()
        .map_err(|_| Problem::bad_parameter(format!("{name}: `{value}` is not a whole number ≥ 0")))
}

fn required(name: &str, value: Option<String>) -> Result<u64, Problem> {
    let value = value.ok_or_else(|| Problem::bad_parameter(format!("{name} is required")))?;
    count(name, &value)
}

fn optional(name: &str, value: Option<String>) -> Result<Option<u64>, Problem> {
    value.map(|v| count(name, &v)).transpose()
}

/// The current checkpoint, as a C2SP signed note (text).
async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, Problem> {
    let note = ledger::checkpoint(state.store.as_ref(), &state.log_key).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note))
}

/// The key that verifies checkpoints.
async fn key(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "origin": state.log_key.origin(),
        "verifier_key": state.log_key.verifier_key(),
        "algorithm": "Ed25519 (C2SP signed-note)",
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionParams {
    index: Option<String>,
    size: Option<String>,
}

async fn inclusion(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<InclusionParams>,
) -> Result<Json<InclusionProof>, Problem> {
    let index = required("index", q.index)?;
    let size = optional("size", q.size)?;
    Ok(Json(
        ledger::inclusion(state.store.as_ref(), index, size).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyParams {
    from: Option<String>,
    to: Option<String>,
}

async fn consistency(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ConsistencyParams>,
) -> Result<Json<ConsistencyProof>, Problem> {
    let from = required("from", q.from)?;
    let to = optional("to", q.to)?;
    Ok(Json(
        ledger::consistency(state.store.as_ref(), from, to).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntriesParams {
    start: Option<String>,
    end: Option<String>,
}

async fn entries(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    ApiQuery(q): ApiQuery<EntriesParams>,
) -> Result<Json<Vec<Value>>, Problem> {
    let start = optional("start", q.start)?.unwrap_or(0);
    let end = match optional("end", q.end)? {
        Some(end) => end,
        None => start
            .saturating_add(100)
            .min(state.store.ledger_size().await.map_err(Problem::from)?),
    };
    Ok(Json(
        ledger::entries_for(
            state.store.as_ref(),
            &reader,
            &state.charter.sharing_groups,
            start,
            end,
        )
        .await?,
    ))
}
