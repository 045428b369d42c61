//! Alerts: signed CAP 1.2 messages in; out, as JSON or as the CAP 1.2 XML itself, only
//! to readers they are released to.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use concord_core::council::{Command, IssuedAlert};
use concord_store::alerts;
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
#[utoipa::path(post, path = "/api/v1/alerts", tag = "crisis", request_body(content = Object, description = "A signed command: {\"command\": {\"action\": ...}, \"key\": ..., \"signature\": ...}"), responses((status = 201, description = "Recorded: the alert's summary and ledger leaf", body = Object), crate::openapi::CommandErrors))]
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
    let mut body =
        serde_json::to_value(summary(&state, &issuer, issued)).expect("summaries serialise");
    body["last_leaf"] = json!(done.last_leaf);
    Ok((StatusCode::CREATED, Json(body)))
}

/// The alerts the reader may read, newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "crisis", responses((status = 200, description = "The alerts the reader may read, newest first", body = [AlertSummary]), crate::openapi::ReadErrors))]
async fn list(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
) -> Result<Json<Vec<AlertSummary>>, Problem> {
    let all = alerts::alerts(state.store.as_ref(), &reader, &state.charter.sharing_groups).await?;
    Ok(Json(
        all.iter().map(|a| summary(&state, &reader, a)).collect(),
    ))
}

/// One alert with its whole CAP message as JSON.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "crisis", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "One alert with its CAP message as JSON", body = Object), crate::openapi::ReadErrors))]
async fn one(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let alert = readable(&state, &reader, &id).await?;
    let mut body =
        serde_json::to_value(summary(&state, &reader, &alert)).expect("summaries serialise");
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

/// What a list shows of an alert.
/// What a list shows of an alert: who issued it, to whom it is released, and its CAP
/// header (absent only if the stored message no longer reads).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AlertSummary {
    /// Concord's identifier.
    id: String,
    /// Whose key signed it: a state's code or `secretariat`.
    issuer: String,
    /// To whom it is released.
    releasability: concord_core::releasability::Releasability,
    /// The situation it belongs to.
    situation: Option<String>,
    /// When Concord received it (RFC 3339).
    received_at: String,
    /// The signing key's identifier.
    key: String,
    /// The CAP identifier.
    identifier: Option<String>,
    /// The CAP sender.
    sender: Option<String>,
    /// When the sender sent it (CAP date-time).
    sent: Option<String>,
    /// CAP status.
    status: Option<&'static str>,
    /// CAP message type.
    msg_type: Option<&'static str>,
    /// CAP scope.
    scope: Option<&'static str>,
    /// The gravest CAP severity of its info blocks.
    severity: Option<&'static str>,
    /// Its first headline (else its first event).
    title: Option<String>,
}

/// What a list shows of an alert to `reader`: the situation it belongs to only to those
/// who may read situations (a public alert does not tell the public that a confidential
/// situation exists).
pub(crate) fn summary(
    state: &AppState,
    reader: &concord_core::releasability::Reader,
    alert: &IssuedAlert,
) -> AlertSummary {
    let cap = alert.message().ok();
    let reads_situations =
        concord_store::access::reads_confidential(reader, &state.charter.sharing_groups);
    AlertSummary {
        id: alert.alert.id.to_string(),
        issuer: alert.issuer.to_string(),
        releasability: alert.releasability.clone(),
        situation: alert
            .alert
            .situation
            .as_ref()
            .filter(|_| reads_situations)
            .map(ToString::to_string),
        received_at: alert
            .at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        key: alert.seal.key.clone(),
        identifier: cap.as_ref().map(|c| c.identifier.clone()),
        sender: cap.as_ref().map(|c| c.sender.clone()),
        sent: cap.as_ref().map(|c| c.sent.as_str().to_owned()),
        status: cap.as_ref().map(|c| c.status.as_str()),
        msg_type: cap.as_ref().map(|c| c.msg_type.as_str()),
        scope: cap.as_ref().map(|c| c.scope.as_str()),
        severity: cap.as_ref().and_then(|c| c.severity()).map(|s| s.as_str()),
        title: cap.as_ref().and_then(|c| c.title().map(str::to_owned)),
    }
}
