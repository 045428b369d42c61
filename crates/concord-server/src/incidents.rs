//! Incident reports: signed reports in; out, only what the reader may read.
//!
//! The reader is the request's bearer token's holder, or the public without one
//! ([`crate::reader`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use concord_core::council::Command;
use concord_store::IncidentFilter;
use concord_store::incidents;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::ApiQuery;
use crate::problem::{Problem, ProblemKind};
use crate::reader::ReaderOf;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The incident routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, report))
        .routes(routes!(batch))
        .routes(routes!(one))
}

/// Records a signed `report-incident` command.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "crisis", request_body(content = Object, description = "A signed command: {\"command\": {\"action\": ...}, \"seal\": {\"key\": ..., \"issued_at\": ..., \"nonce\": ..., \"signature\": ...}}; see docs/council.md"), responses((status = 201, description = "Recorded: id, version, ledger leaf", body = Object), crate::openapi::CommandErrors))]
async fn report(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let signed = crate::council::signed_command(&body)?;
    let Command::ReportIncident(report) = &signed.command else {
        return Err(Problem::new(
            ProblemKind::BadBody,
            format!(
                "`{}` is not an incident report: post it to /api/v1/council/commands",
                signed.command.action()
            ),
        ));
    };
    let (id, version) = (report.id.clone(), report.version);
    let done = state.intake.submit(&state, signed).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "version": version, "last_leaf": done.last_leaf })),
    ))
}

/// The most reports one batch may carry.
pub const BATCH_LIMIT: usize = 1000;

/// Records a batch of signed `report-incident` commands (a JSON array, at most
/// [`BATCH_LIMIT`]): what a national centre sends when it forwards what it has queued.
/// Each report is checked and refused on its own; the accepted ones are committed in one
/// transaction before the answer. The answer lists each report's outcome in order: its
/// id, version and ledger leaf, or its problem.
#[utoipa::path(post, path = "/api/v1/incidents/batch", tag = "crisis", request_body(content = [Object], description = "A signed command: {\"command\": {\"action\": ...}, \"seal\": {\"key\": ..., \"issued_at\": ..., \"nonce\": ..., \"signature\": ...}}; see docs/council.md"), responses((status = 200, description = "Each report's outcome, in order", body = Object), crate::openapi::CommandErrors))]
async fn batch(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, Problem> {
    // Each report is read straight from its own bytes into a command (read into a JSON
    // tree first, a report was read twice).
    let not_objects = |e: &dyn std::fmt::Display| {
        Problem::new(
            ProblemKind::BadBody,
            format!("not a JSON array of signed reports, each an object ({e})"),
        )
    };
    let items: Vec<&serde_json::value::RawValue> =
        serde_json::from_slice(&body).map_err(|e| not_objects(&e))?;
    if let Some(n) = items.iter().position(|item| !item.get().starts_with('{')) {
        return Err(not_objects(&format!("item {n} is not an object")));
    }
    if items.len() > BATCH_LIMIT {
        return Err(Problem::new(
            ProblemKind::BadBody,
            format!(
                "{} reports in one batch; the most is {BATCH_LIMIT}",
                items.len()
            ),
        ));
    }
    let mut results: Vec<Option<Value>> = vec![None; items.len()];
    let mut signed = Vec::with_capacity(items.len());
    let mut positions = Vec::with_capacity(items.len());
    for (n, item) in items.into_iter().enumerate() {
        let command: Result<concord_core::council::SignedCommand, _> =
            serde_json::from_str(item.get());
        match command {
            Ok(c) if matches!(c.command, Command::ReportIncident(_)) => {
                signed.push(c);
                positions.push(n);
            }
            Ok(c) => {
                results[n] = Some(refusal(Problem::new(
                    ProblemKind::BadBody,
                    format!("`{}` is not an incident report", c.command.action()),
                )))
            }
            Err(e) => {
                results[n] = Some(refusal(Problem::new(
                    ProblemKind::BadBody,
                    format!("not a signed report ({e})"),
                )))
            }
        }
    }
    let done = concord_store::council::execute_many(
        state.store.as_ref(),
        &state.deployment,
        &signed,
        time::OffsetDateTime::now_utc(),
    )
    .await;
    state.tail.wake();
    for ((n, command), outcome) in positions.into_iter().zip(&signed).zip(done) {
        let Command::ReportIncident(report) = &command.command else {
            unreachable!("only reports are carried out");
        };
        results[n] = Some(match outcome {
            Ok(executed) => json!({
                "status": 201,
                "id": report.id,
                "version": report.version,
                "last_leaf": executed.last_leaf,
            }),
            Err(e) => refusal(e.into()),
        });
    }
    let results: Vec<Value> = results.into_iter().map(|r| r.expect("answered")).collect();
    let accepted = results.iter().filter(|r| r["status"] == 201).count();
    Ok(Json(json!({
        "accepted": accepted,
        "refused": results.len() - accepted,
        "results": results,
    })))
}

fn refusal(problem: Problem) -> Value {
    json!({ "status": problem.status().as_u16(), "problem": problem.to_json() })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Threat domain, from the charter.
    #[param(pattern = r"^[a-z0-9][a-z0-9-]*$")]
    domain: Option<String>,
    /// Country code.
    #[param(pattern = r"^[A-Z]{3}$")]
    country: Option<String>,
    /// Incidents at or after this time (RFC 3339).
    from: Option<String>,
    /// Incidents before this time (RFC 3339).
    to: Option<String>,
    /// At least this CAP severity.
    #[param(pattern = r"^(Extreme|Severe|Moderate|Minor|Unknown)$")]
    severity: Option<String>,
    /// Words in the title or text.
    q: Option<String>,
    /// west,south,east,north in degrees.
    bbox: Option<String>,
    /// At most this many (1 to 1000; 100 if absent).
    #[param(pattern = r"^[0-9]+$")]
    limit: Option<String>,
    /// Go on after this cursor: the `after` of the previous page's `Link: <…>; rel="next"`.
    #[param(pattern = r"^[0-9a-f]+$")]
    after: Option<String>,
}

fn time_param(name: &str, value: Option<String>) -> Result<Option<String>, Problem> {
    value
        .map(|v| {
            time::OffsetDateTime::parse(&v, &time::format_description::well_known::Rfc3339)
                .map(concord_store::incidents::sortable_time)
                .map_err(|_| {
                    Problem::bad_parameter(format!(
                        "{name}: `{v}` is not an RFC 3339 time (write e.g. 2026-11-20T00:00:00Z)"
                    ))
                })
        })
        .transpose()
}

fn bbox_param(value: Option<String>) -> Result<Option<[f64; 4]>, Problem> {
    value
        .map(|v| {
            let parts: Vec<f64> = v.split(',').filter_map(|p| p.trim().parse().ok()).collect();
            match parts[..] {
                [w, s, e, n]
                    if (-180.0..=180.0).contains(&w)
                        && (-180.0..=180.0).contains(&e)
                        && (-90.0..=90.0).contains(&s)
                        && (-90.0..=90.0).contains(&n)
                        && s <= n =>
                {
                    Ok([w, s, e, n])
                }
                _ => Err(Problem::bad_parameter(format!(
                    "bbox: `{v}` is not west,south,east,north in degrees"
                ))),
            }
        })
        .transpose()
}

/// The latest version of each report the reader may read, newest first. Releasability is
/// part of the query: the limit, the text search and the order see only readable reports.
/// A full page links to the next (`Link: <…&after=CURSOR>; rel="next"`).
#[utoipa::path(get, path = "/api/v1/incidents", operation_id = "list_incidents", tag = "crisis", params(ListParams), responses((status = 200, description = "The latest version of each report the reader may read, newest first; a full page carries `Link: <...>; rel=\"next\"`", body = [concord_core::council::SignedIncident], headers(("Link" = String, description = "The next page, when this one is full"))), crate::openapi::ReadErrors))]
async fn list(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<(axum::http::HeaderMap, Json<Value>), Problem> {
    let limit = crate::paging::limit(q.limit.as_deref())?;
    let min_severity = q
        .severity
        .map(|s| {
            concord_core::incident::Severity::parse(&s)
                .map(|v| i64::from(v.rank()))
                .ok_or_else(|| {
                    Problem::bad_parameter(format!(
                        "severity: `{s}` is not a CAP severity ({})",
                        concord_core::incident::Severity::choices()
                    ))
                })
        })
        .transpose()?;
    if let Some(d) = &q.domain
        && !state
            .charter
            .threat_domains
            .iter()
            .any(|t| t.code.as_str() == d)
    {
        let known: Vec<&str> = state
            .charter
            .threat_domains
            .iter()
            .map(|t| t.code.as_str())
            .collect();
        return Err(Problem::bad_parameter(format!(
            "domain: `{d}` is not a threat domain of the charter; one of {}",
            known.join(", ")
        )));
    }
    if let Some(c) = &q.country {
        c.parse::<concord_core::MemberCode>()
            .map_err(|e| Problem::bad_parameter(format!("country: {e}")))?;
    }
    let after = crate::paging::cursor(q.after.as_deref())?;
    let filter = IncidentFilter {
        after,
        ids: None,
        domain: q.domain,
        country: q.country,
        from: time_param("from", q.from)?,
        to: time_param("to", q.to)?,
        min_severity,
        text: q.q.filter(|t| !t.trim().is_empty()),
        bbox: bbox_param(q.bbox)?,
        limit,
    };
    let found = incidents::incidents(
        state.store.as_ref(),
        &reader,
        &state.charter.sharing_groups,
        &filter,
    )
    .await?;
    let next = crate::paging::full(&found, limit).map(incidents::cursor);
    Ok((
        crate::paging::next_link(&uri, next),
        Json(serde_json::to_value(found).expect("reports serialise")),
    ))
}

/// The versions of one report the reader may read.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", operation_id = "incident", tag = "crisis", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "The versions of a report the reader may read", body = crate::openapi::IncidentVersions), crate::openapi::ReadErrors))]
async fn one(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let versions = incidents::incident(
        state.store.as_ref(),
        &reader,
        &state.charter.sharing_groups,
        &id,
    )
    .await?;
    if versions.is_empty() {
        // Whether it exists and is withheld, or does not exist, is not said.
        return Err(Problem::unknown(format!(
            "no incident report `{id}` that you may read"
        )));
    }
    Ok(Json(json!({ "id": id, "versions": versions })))
}
