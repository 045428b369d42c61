//! The council's endpoints: signed commands in; keys, each document's agreement and its
//! bundle out.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use concord_core::consensus;
use concord_core::council::{Council, SignedCommand};
use concord_store::access::permits;
use concord_store::council::{self, CommandError};
use serde_json::{Value, json};

use crate::AppState;
use crate::problem::{Problem, ProblemKind};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The council's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(command))
        .routes(routes!(keys))
        .routes(routes!(nodes))
        .routes(routes!(agreement))
        .routes(routes!(bundle))
}

/// Reads a signed command from a request body.
pub(crate) fn signed_command(body: &[u8]) -> Result<SignedCommand, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        Problem::new(
            ProblemKind::BadBody,
            format!("not a signed command ({e}); expected {{\"command\": {{\"action\": ...}}, \"seal\": {{\"key\": ..., \"issued_at\": ..., \"nonce\": ..., \"signature\": ...}}}}"),
        )
    })
}

/// Carries out a signed command now, and wakes the live stream.
pub(crate) async fn carry_out(
    state: &AppState,
    signed: &SignedCommand,
) -> Result<council::Executed, Problem> {
    let done = council::execute_under(
        state.store.as_ref(),
        &state.deployment,
        signed,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    state.tail.wake();
    tracing::debug!(
        action = signed.command.action(),
        key = signed.seal.key,
        last_leaf = done.last_leaf,
        "command recorded"
    );
    Ok(done)
}

/// Carries out one signed command (`{"command": {...}, "seal": {"key", "issued_at", "nonce", "signature"}}`).
#[utoipa::path(post, path = "/api/v1/council/commands", tag = "council", request_body(content = Object, description = "A signed command: {\"command\": {\"action\": ...}, \"seal\": {\"key\": ..., \"issued_at\": ..., \"nonce\": ..., \"signature\": ...}}; see docs/council.md and docs/year.md"), responses((status = 201, description = "Recorded: the action, the events, the last ledger leaf", body = Object), crate::openapi::CommandErrors))]
async fn command(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let signed = signed_command(&body)?;
    let done = carry_out(&state, &signed).await?;
    let kinds: Vec<&str> = done.events.iter().map(|e| e.kind()).collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "action": signed.command.action(),
            "events": kinds,
            "last_leaf": done.last_leaf,
        })),
    ))
}

/// Refuses, as if it did not exist, a document the reader may not read (one of a
/// confidential session), by the access policy.
async fn hidden(
    state: &AppState,
    reader: &concord_core::releasability::Reader,
    id: &str,
) -> Result<(), Problem> {
    let store = state.store.as_ref();
    let guard = store.guards().of_document(store, id).await?;
    if !permits(&guard, reader, &state.charter.sharing_groups) {
        return Err(Problem::unknown(format!("no document `{id}`")));
    }
    Ok(())
}

/// Whether the reader may read confidential crisis work (requests, situations).
fn reads_confidential(state: &AppState, reader: &concord_core::releasability::Reader) -> bool {
    concord_store::access::reads_confidential(reader, &state.charter.sharing_groups)
}

/// Every registered key with its validity.
#[utoipa::path(get, path = "/api/v1/keys", tag = "council", responses((status = 200, description = "Registered keys with their validity", body = [concord_core::keys::KeyRegistration]), crate::openapi::ReadErrors))]
async fn keys(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let keys = state.store.keys().await?;
    Ok(Json(serde_json::to_value(keys).expect("keys serialise")))
}

/// Every node the federation's registry holds: what an offline verifier needs beside the
/// keys (the `nodes.json` of `concord keys export`), since a position signed on a member
/// state's own node names that node's ledger. Public, as the keys are.
#[utoipa::path(get, path = "/api/v1/nodes", tag = "council", responses((status = 200, description = "The federation's registered nodes", body = [concord_core::federation::NodeRegistration]), crate::openapi::ReadErrors))]
async fn nodes(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let nodes = state.store.nodes().await?;
    Ok(Json(serde_json::to_value(nodes).expect("nodes serialise")))
}

/// A document's versions, what is under agreement, the positions taken and where the
/// rule stands today.
#[utoipa::path(get, path = "/api/v1/documents/{id}/agreement", tag = "council", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Versions, positions and where the rule stands", body = Object), crate::openapi::ReadErrors))]
async fn agreement(
    State(state): State<AppState>,
    crate::reader::ReaderOf(reader): crate::reader::ReaderOf,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    hidden(&state, &reader, &id).await?;
    let store = state.store.as_ref();
    let file = council::document_file(store, &id)
        .await?
        .ok_or_else(|| Problem::unknown(format!("no document `{id}`")))?;
    let tally = match (&file.under_agreement(), &file.decision) {
        (Some(_), None) => {
            let session = store.session(file.document.session.as_str()).await?;
            let timeline = state.charter.timeline(store.status_records().await?);
            let keys = store.keys().await?;
            let council = Council {
                origin: &state.deployment.origin,
                charter: &state.charter,
                timeline: &timeline,
                keys: &keys,
                nodes: &[],
            };
            let rule = session
                .as_ref()
                .and_then(|s| s.bodies.first())
                .and_then(|b| state.charter.body(b))
                .and_then(|b| b.decision_rule.as_ref())
                .and_then(|r| state.charter.decision_rules.get(r));
            match (session, rule) {
                (Some(session), Some(rule)) => {
                    let today = time::OffsetDateTime::now_utc().date();
                    let ballots = council.ballots(&session, &file.positions, today);
                    Some(consensus::tally(rule, &ballots))
                }
                _ => None,
            }
        }
        _ => None,
    };
    Ok(Json(json!({
        "document": file.document,
        "versions": file.versions,
        "under_agreement": file.under_agreement(),
        "positions": file.positions,
        "tally": tally,
        "decision": file.decision,
    })))
}

/// The bundle of a decided document, in RFC 8785 canonical JSON.
#[utoipa::path(get, path = "/api/v1/documents/{id}/bundle", tag = "council", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "A decided document's bundle (canonical JSON)", body = Object), crate::openapi::ReadErrors))]
async fn bundle(
    State(state): State<AppState>,
    crate::reader::ReaderOf(reader): crate::reader::ReaderOf,
    Path(id): Path<String>,
) -> Result<
    (
        StatusCode,
        [(axum::http::HeaderName, &'static str); 1],
        String,
    ),
    Problem,
> {
    hidden(&state, &reader, &id).await?;
    let bundle = council::bundle(state.store.as_ref(), &state.log_key, &id)
        .await
        .map_err(|e| match e {
            CommandError::NotDecided(_) => Problem::new(ProblemKind::Conflict, e.to_string()),
            other => other.into(),
        })?;
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        concord_ledger::canonical::to_string(&bundle) + "\n",
    ))
}

/// The council's routes for requests for collective assistance.
pub fn request_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(requests))
        .routes(routes!(request))
        .routes(routes!(situations))
        .routes(routes!(situation))
}

/// Every request for collective assistance, with where it stands (members and the
/// secretariat), a page at a time.
#[utoipa::path(get, path = "/api/v1/requests", tag = "crisis", params(PageParams), responses((status = 200, description = "Requests for collective assistance (members and the secretariat); a full page carries `Link: <...>; rel=\"next\"`", body = [Object], headers(("Link" = String, description = "The next page, when this one is full"))), crate::openapi::ReadErrors))]
async fn requests(
    State(state): State<AppState>,
    crate::reader::ReaderOf(reader): crate::reader::ReaderOf,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    crate::api::ApiQuery(q): crate::api::ApiQuery<PageParams>,
) -> Result<(axum::http::HeaderMap, Json<Value>), Problem> {
    let limit = crate::paging::limit(q.limit.as_deref())?;
    let store = state.store.as_ref();
    // A reader of neither requests nor situations has an empty list (and no cursor of it).
    let all = if reads_confidential(&state, &reader) {
        store.subjects("request").await?
    } else {
        vec![]
    };
    let (subjects, next) = crate::paging::page(all, Clone::clone, q.after.as_deref(), limit)?;
    let mut out = Vec::new();
    for subject in subjects {
        let file =
            concord_core::council::AssistanceFile::fold(&store.subject_events(&subject).await?);
        let Some(request) = file.request.as_ref() else {
            continue;
        };
        let outcome = store
            .decision(request.decision.as_str())
            .await?
            .map(|(_, d)| d.outcome);
        out.push(json!({
            "id": request.id,
            "requester": request.requester,
            "requested_at": request.requested_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "decision": outcome,
            "pledges": file.pledges.len(),
            "status": file.status(),
        }));
    }
    Ok((
        crate::paging::next_link(&uri, next),
        Json(Value::Array(out)),
    ))
}

/// A situation as listed.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SituationSummary {
    /// Identifier.
    id: String,
    /// Title.
    title: concord_core::text::Text,
    /// Its crisis level now.
    level: concord_core::council::CrisisLevel,
    /// How many of the reports it groups the reader may read.
    reports: usize,
}

/// A situation: its level and history, the reports and alerts the reader may read.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SituationDetail {
    /// Identifier.
    id: String,
    /// Title.
    title: concord_core::text::Text,
    /// Its crisis level now.
    level: concord_core::council::CrisisLevel,
    /// Every change, in order.
    changes: Vec<concord_core::council::SituationChange>,
    /// The latest version of each grouped report, where the reader may read it.
    reports: Vec<concord_core::council::SignedIncident>,
    /// Its alerts the reader may read.
    alerts: Vec<concord_store::alerts::AlertSummary>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
/// A page of a list: its size and where it goes on.
struct PageParams {
    /// At most this many (1 to 1000; 100 if absent).
    #[param(pattern = r"^[0-9]+$")]
    limit: Option<String>,
    /// Go on after this cursor: the `after` of the previous page's `Link: <…>; rel="next"`.
    #[param(pattern = r"^[0-9a-f]+$")]
    after: Option<String>,
}

/// Situations with their level, most recently opened first, from the summaries stored as
/// they changed (members and the secretariat); each counts the grouped reports the reader
/// may read. A full page links to the next.
#[utoipa::path(get, path = "/api/v1/situations", tag = "crisis", params(PageParams), responses((status = 200, description = "Situations (members and the secretariat), most recently opened first; a full page carries `Link: <...>; rel=\"next\"`", body = [SituationSummary], headers(("Link" = String, description = "The next page, when this one is full"))), crate::openapi::ReadErrors))]
async fn situations(
    State(state): State<AppState>,
    crate::reader::ReaderOf(reader): crate::reader::ReaderOf,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    crate::api::ApiQuery(q): crate::api::ApiQuery<PageParams>,
) -> Result<(axum::http::HeaderMap, Json<Vec<SituationSummary>>), Problem> {
    let limit = crate::paging::limit(q.limit.as_deref())?;
    let after = crate::paging::cursor(q.after.as_deref())?;
    if !reads_confidential(&state, &reader) {
        return Ok((axum::http::HeaderMap::new(), Json(vec![])));
    }
    let store = state.store.as_ref();
    let rows = store.situation_summaries(after.as_ref(), limit).await?;
    // One query for the grouped reports of the whole page the reader may read.
    let grouped: Vec<Vec<String>> = rows
        .iter()
        .map(|r| concord_store::StoreError::decode("situation's reports", &r.reports))
        .collect::<Result<_, _>>()?;
    let readable: std::collections::HashSet<String> = concord_store::incidents::incidents(
        store,
        &reader,
        &state.charter.sharing_groups,
        &concord_store::IncidentFilter {
            ids: Some(grouped.iter().flatten().cloned().collect()),
            limit: crate::paging::MAX_LIMIT * 10,
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|i| i.report.id.to_string())
    .collect();
    let next = crate::paging::full(&rows, limit)
        .map(|r| concord_store::incidents::encode_cursor(&r.opened_at, &r.id));
    let mut out = Vec::with_capacity(rows.len());
    for (r, reports) in rows.into_iter().zip(grouped) {
        out.push(SituationSummary {
            title: concord_store::StoreError::decode("situation's title", &r.title)?,
            level: concord_store::StoreError::decode(
                "situation's level",
                &Value::String(r.level).to_string(),
            )?,
            reports: reports.iter().filter(|id| readable.contains(*id)).count(),
            id: r.id,
        });
    }
    Ok((crate::paging::next_link(&uri, next), Json(out)))
}

/// A situation: its level and history, and the grouped reports the reader may read (each
/// keeps its own releasability). Member states (while members) and the secretariat read it.
#[utoipa::path(get, path = "/api/v1/situations/{id}", tag = "crisis", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "One situation with the reports and alerts the reader may read", body = SituationDetail), crate::openapi::ReadErrors))]
async fn situation(
    State(state): State<AppState>,
    crate::reader::ReaderOf(reader): crate::reader::ReaderOf,
    Path(id): Path<String>,
) -> Result<Json<SituationDetail>, Problem> {
    let store = state.store.as_ref();
    let events = store.subject_events(&format!("situation/{id}")).await?;
    let file = concord_core::council::SituationFile::fold(&events);
    if file.id.is_none() || !reads_confidential(&state, &reader) {
        return Err(Problem::unknown(format!(
            "no situation `{id}` that you may read"
        )));
    }
    // As every list of reports: the latest version of each, where the reader may read it.
    let reports = concord_store::incidents::incidents(
        store,
        &reader,
        &state.charter.sharing_groups,
        &concord_store::IncidentFilter {
            ids: Some(file.reports.iter().map(ToString::to_string).collect()),
            limit: file.reports.len().max(1) as i64,
            ..Default::default()
        },
    )
    .await?;
    let alerts = concord_store::alerts::summaries(
        store,
        &reader,
        &state.charter.sharing_groups,
        &concord_store::alerts::AlertPage {
            situation: Some(id.clone()),
            after: None,
            limit: crate::paging::MAX_LIMIT,
        },
    )
    .await?;
    let (Some(id), Some(title), Some(level)) = (file.id, file.title, file.level) else {
        unreachable!("an opened situation has its id, title and level");
    };
    Ok(Json(SituationDetail {
        id: id.to_string(),
        title,
        level,
        changes: file.changes,
        reports,
        alerts,
    }))
}

/// A request for collective assistance: the request, where its decision stands, pledges
/// with their totals, and the deployment's steps. Member states (while members) and the
/// secretariat read it.
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "crisis", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "One request with its decision, pledges and deployment", body = Object), crate::openapi::ReadErrors))]
async fn request(
    State(state): State<AppState>,
    crate::reader::ReaderOf(reader): crate::reader::ReaderOf,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let allowed = reads_confidential(&state, &reader);
    let store = state.store.as_ref();
    let events = store.subject_events(&format!("request/{id}")).await?;
    let file = concord_core::council::AssistanceFile::fold(&events);
    let Some(request) = file.request.as_ref().filter(|_| allowed) else {
        return Err(Problem::unknown(format!(
            "no request for assistance `{id}` that you may read"
        )));
    };
    let decision = store
        .decision(request.decision.as_str())
        .await?
        .map(|(_, d)| d);
    let [units, personnel, equipment, aircraft] = file.totals();
    Ok(Json(json!({
        "request": request,
        "decision": decision.map(|d| json!({
            "outcome": d.outcome,
            "decided_on": d.decided_on.to_string(),
            "rule": d.rule_code,
            "blockers": d.blockers,
        })),
        "pledges": file.pledges,
        "totals": {"units": units, "personnel": personnel, "equipment": equipment, "aircraft": aircraft},
        "deployment": file.deployment,
        "status": file.status(),
    })))
}
