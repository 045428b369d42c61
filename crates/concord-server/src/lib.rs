//! Concord's HTTP interface: the JSON API under `/api/v1`, health at `/healthz`, and every
//! error as RFC 9457 problem+json.

pub mod api;
pub mod council;
pub mod incidents;
pub mod ledger;
pub mod problem;
pub mod reader;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use concord_core::charter::Charter;
use concord_store::Store;
use tokio::net::TcpListener;

/// What every request handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The organisation's charter, read from the store at start-up.
    pub charter: Arc<Charter>,
    /// The key that signs the ledger's checkpoints.
    pub log_key: Arc<concord_ledger::checkpoint::LogKey>,
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    api::routes()
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
