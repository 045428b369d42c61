//! The ledger endpoints: signed checkpoint, its verifier key, inclusion and consistency
//! proofs, and the entries themselves.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use concord_ledger::proof::{ConsistencyProof, InclusionProof};
use concord_store::ledger;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::ApiQuery;
use crate::problem::Problem;
use crate::reader::ReaderOf;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The ledger's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(checkpoint))
        .routes(routes!(key))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
        .routes(routes!(entries))
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
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", tag = "ledger", responses((status = 200, description = "The signed checkpoint (C2SP signed note)", content_type = "text/plain", body = String), crate::openapi::ReadErrors))]
async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, Problem> {
    let note = ledger::checkpoint(state.store.as_ref(), &state.log_key).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note))
}

/// The key that verifies checkpoints.
#[utoipa::path(get, path = "/api/v1/ledger/key", tag = "ledger", responses((status = 200, description = "The checkpoints' verifier key", body = Object), crate::openapi::ReadErrors))]
async fn key(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "origin": state.log_key.origin(),
        "verifier_key": state.log_key.verifier_key(),
        "algorithm": "Ed25519 (C2SP signed-note)",
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct InclusionParams {
    /// The entry's leaf index.
    #[param(pattern = r"^[0-9]+$")]
    index: Option<String>,
    /// The tree size the proof is for (the current size if absent).
    #[param(pattern = r"^[0-9]+$")]
    size: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/proof/inclusion", tag = "ledger", params(InclusionParams), responses((status = 200, description = "An RFC 9162 inclusion proof", body = concord_ledger::proof::InclusionProof), crate::openapi::ReadErrors))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ConsistencyParams {
    /// The earlier tree size.
    #[param(pattern = r"^[0-9]+$")]
    from: Option<String>,
    /// The later tree size (the current size if absent).
    #[param(pattern = r"^[0-9]+$")]
    to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/proof/consistency", tag = "ledger", params(ConsistencyParams), responses((status = 200, description = "An RFC 9162 consistency proof", body = concord_ledger::proof::ConsistencyProof), crate::openapi::ReadErrors))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct EntriesParams {
    /// First leaf index.
    #[param(pattern = r"^[0-9]+$")]
    start: Option<String>,
    /// One past the last leaf index (at most 1000 entries).
    #[param(pattern = r"^[0-9]+$")]
    end: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/entries", tag = "ledger", params(EntriesParams), responses((status = 200, description = "Entries, withheld where the reader may not read them", body = [Object]), crate::openapi::ReadErrors))]
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
