//! Alerts: signed CAP 1.2 messages in; out, as JSON or as the CAP 1.2 XML itself, only
//! to readers they are released to.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use concord_core::council::{Command, IssuedAlert};
use concord_store::alerts::{self, AlertPage, AlertSummary};
use serde_json::{Value, json};

use crate::AppState;
use crate::problem::{Problem, ProblemKind};
use crate::reader::ReaderOf;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The alert routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, issue))
        .routes(routes!(one))
        .routes(routes!(cap))
}

/// Records a signed `issue-alert` command.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "crisis", request_body(content = Object, description = "A signed command: {\"command\": {\"action\": ...}, \"seal\": {\"key\": ..., \"issued_at\": ..., \"nonce\": ..., \"signature\": ...}}; see docs/council.md"), responses((status = 201, description = "Recorded: the alert's summary and ledger leaf", body = Object), crate::openapi::CommandErrors))]
async fn issue(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let signed = crate::council::signed_command(&body)?;
    if !matches!(signed.command, Command::IssueAlert(_)) {
        return Err(Problem::new(
            ProblemKind::BadBody,
            format!(
                "`{}` is not an alert: post it to /api/v1/council/commands",
                signed.command.action()
            ),
        ));
    }
    let done = crate::council::carry_out(&state, &signed).await?;
    let Some(concord_core::event::Event::AlertIssued(issued)) = done.events.first() else {
        unreachable!("an issued alert is recorded as alert-issued");
    };
    // Whoever issued it reads it as the issuer: the secretariat or a member state.
    let issuer = match issued.issuer {
        concord_core::keys::KeyOwner::Secretariat => {
            concord_core::releasability::Reader::Secretariat
        }
        concord_core::keys::KeyOwner::Member(code) => concord_core::releasability::Reader::State {
            code,
            status: concord_core::registry::MemberStatus::Member,
        },
    };
    let mut body = serde_json::to_value(
        AlertSummary::of(issued).for_reader(&issuer, &state.charter.sharing_groups),
    )
    .expect("summaries serialise");
    body["last_leaf"] = json!(done.last_leaf);
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// At most this many (1 to 1000; 100 if absent).
    #[param(pattern = r"^[0-9]+$")]
    limit: Option<String>,
    /// Go on after this cursor: the `after` of the previous page's `Link: <…>; rel="next"`.
    #[param(pattern = r"^[0-9a-f]+$")]
    after: Option<String>,
}

/// The alerts the reader may read, newest first, from the summaries stored when they were
/// issued; releasability is part of the query. A full page links to the next.
#[utoipa::path(get, path = "/api/v1/alerts", operation_id = "list_alerts", tag = "crisis", params(ListParams), responses((status = 200, description = "The alerts the reader may read, newest first; a full page carries `Link: <...>; rel=\"next\"`", body = [AlertSummary], headers(("Link" = String, description = "The next page, when this one is full"))), crate::openapi::ReadErrors))]
async fn list(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ListParams>,
) -> Result<(axum::http::HeaderMap, Json<Vec<AlertSummary>>), Problem> {
    let page = AlertPage {
        situation: None,
        after: crate::paging::cursor(q.after.as_deref())?,
        limit: crate::paging::limit(q.limit.as_deref())?,
    };
    let found = alerts::summaries(
        state.store.as_ref(),
        &reader,
        &state.charter.sharing_groups,
        &page,
    )
    .await?;
    let next = crate::paging::full(&found, page.limit).map(alerts::cursor);
    Ok((crate::paging::next_link(&uri, next), Json(found)))
}

/// One alert with its whole CAP message as JSON.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", operation_id = "alert", tag = "crisis", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "One alert with its CAP message as JSON", body = Object), crate::openapi::ReadErrors))]
async fn one(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let alert = readable(&state, &reader, &id).await?;
    let mut body = serde_json::to_value(
        AlertSummary::of(&alert).for_reader(&reader, &state.charter.sharing_groups),
    )
    .expect("summaries serialise");
    body["cap"] = serde_json::to_value(message(&alert)?).expect("a CAP alert serialises");
    Ok(Json(body))
}

/// One alert as a CAP 1.2 message (`application/cap+xml`), written in the official
/// schema's order.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/cap", tag = "crisis", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "The alert as OASIS CAP 1.2 XML", content_type = "application/cap+xml", body = String), crate::openapi::ReadErrors))]
async fn cap(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let alert = readable(&state, &reader, &id).await?;
    let xml = concord_cap::to_xml(&message(&alert)?);
    Ok((
        [(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")],
        xml,
    ))
}

async fn readable(
    state: &AppState,
    reader: &concord_core::releasability::Reader,
    id: &str,
) -> Result<IssuedAlert, Problem> {
    alerts::alert(
        state.store.as_ref(),
        reader,
        &state.charter.sharing_groups,
        id,
    )
    .await?
    .ok_or_else(|| Problem::unknown(format!("no alert `{id}` that you may read")))
}

/// The stored message, which was checked when issued.
fn message(alert: &IssuedAlert) -> Result<concord_cap::Alert, Problem> {
    alert.message().map_err(|e| {
        tracing::error!(alert = %alert.alert.id, error = %e, "a stored alert no longer reads");
        Problem::new(
            ProblemKind::LedgerInconsistent,
            format!(
                "alert {} is stored but does not read as CAP 1.2",
                alert.alert.id
            ),
        )
    })
}
