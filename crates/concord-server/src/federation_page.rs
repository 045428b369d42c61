//! The console's federation page: for a duty officer, each peer this node pulls from
//! (last contact, how far behind this node is, refusals and the last error) and the latest
//! refusals with their reasons, in the officer's language.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::console::{Chrome, chrome, render};
use crate::problem::Problem;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/federation", get(federation_page))
}

/// One peer as the page shows it.
struct PeerRow {
    url: String,
    owner: String,
    last_contact: String,
    lag: u64,
    refused: u64,
    error: String,
}

/// One refusal as the page shows it.
struct RefusalRow {
    at: String,
    peer: String,
    origin: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "federation.html")]
struct FederationPage {
    chrome: Chrome,
    node_line: String,
    peers_heading: String,
    headers: [String; 6],
    peers: Vec<PeerRow>,
    no_peers: String,
    refusals_heading: String,
    refusal_headers: [String; 4],
    refusals: Vec<RefusalRow>,
    no_refusals: String,
}

async fn federation_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let c = match crate::pages::context(&state, &headers).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let t = c.t;
    let never = t.get("federation-never");
    let owner = state
        .node
        .as_ref()
        .map_or_else(|| "—".to_owned(), |n| n.owner.to_string());
    let peers = state
        .peers
        .all()
        .into_iter()
        .map(|p| PeerRow {
            lag: p.lag(),
            url: p.url,
            owner: p.owner.unwrap_or_else(|| "?".to_owned()),
            last_contact: p.last_contact.unwrap_or_else(|| never.clone()),
            refused: p.refused,
            error: p.last_error.unwrap_or_default(),
        })
        .collect();
    let refusals = state
        .store
        .refusals(50)
        .await?
        .into_iter()
        .map(|r| RefusalRow {
            at: r.at,
            peer: r.peer,
            origin: r.origin,
            reason: r.reason,
        })
        .collect();
    let page = FederationPage {
        chrome: chrome(t, t.get("federation-title"), Some(&c.signed_in)),
        node_line: t.with(
            "federation-node",
            &[("owner", &owner), ("origin", state.log_key.origin())],
        ),
        peers_heading: t.get("federation-peers"),
        headers: [
            "federation-peer",
            "federation-owner",
            "federation-last-contact",
            "federation-lag",
            "federation-refused",
            "federation-error",
        ]
        .map(|id| t.get(id)),
        peers,
        no_peers: t.get("federation-no-peers"),
        refusals_heading: t.get("federation-refusals"),
        refusal_headers: [
            "federation-at",
            "federation-peer",
            "federation-log",
            "federation-reason",
        ]
        .map(|id| t.get(id)),
        refusals,
        no_refusals: t.get("federation-no-refusals"),
    };
    Ok(render(page).into_response())
}
