//! Concord's HTTP interface: the JSON API under `/api/v1`, health at `/healthz`, and every
//! error as RFC 9457 problem+json.

pub mod admin;
pub mod alerts;
pub mod annual_page;
pub mod annual_pdf;
pub mod api;
pub mod assets;
pub mod console;
pub mod council;
pub mod federation;
pub mod federation_page;
pub mod federation_tls;
pub mod i18n;
pub mod incidents;
pub mod intake;
pub mod ledger;
pub mod openapi;
pub mod pages;
pub mod paging;
pub mod press;
pub mod problem;
pub mod reader;
pub mod stream;
pub mod year;
pub mod year_pages;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use concord_store::Store;
use tokio::net::TcpListener;

/// What every request handler may use: one allocation shared by every request, so that
/// the clone each request takes is one reference count, not one a part (the parts are
/// read through `Deref`).
#[derive(Clone)]
pub struct AppState(Arc<ServerState>);

impl std::ops::Deref for AppState {
    type Target = ServerState;

    fn deref(&self) -> &ServerState {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct ServerState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The organisation's charter, read from the store at start-up.
    pub charter: Arc<concord_core::charter::Charter>,
    /// The charter and the ledger's origin, which commands are carried out under.
    pub deployment: Arc<concord_store::council::Deployment>,
    /// The key that signs the ledger's checkpoints.
    pub log_key: Arc<concord_ledger::checkpoint::LogKey>,
    /// The ledger's tail, which feeds the live streams.
    pub tail: Arc<stream::Tail>,
    /// Incident reports waiting to be carried out together.
    pub intake: intake::SharedIntake,
    /// Failed sign-ins, to slow down guessing.
    pub sign_in_limiter: Arc<console::SignInLimiter>,
    /// This node in a federation (its owner and node key), if it takes part in one.
    pub node: Option<Arc<federation::NodeIdentity>>,
    /// The peers this node pulls from, as last seen.
    pub peers: federation::SharedPeers,
}

impl AppState {
    /// The state for `store`; starts the ledger's tailer on the current runtime.
    pub fn new(
        store: Arc<dyn Store>,
        deployment: concord_store::council::Deployment,
        log_key: concord_ledger::checkpoint::LogKey,
    ) -> AppState {
        follow_other_writers(store.clone());
        AppState(Arc::new(ServerState {
            tail: stream::Tail::start(store.clone()),
            store,
            charter: deployment.charter.clone(),
            deployment: Arc::new(deployment),
            log_key: Arc::new(log_key),
            intake: Default::default(),
            sign_in_limiter: Default::default(),
            node: None,
            peers: Default::default(),
        }))
    }

    /// The same state, for a node of a federation with this identity.
    pub fn with_node(self, node: federation::NodeIdentity) -> AppState {
        let mut parts = Arc::unwrap_or_clone(self.0);
        parts.node = Some(Arc::new(node));
        AppState(Arc::new(parts))
    }
}

/// Where other servers write the same database (PostgreSQL), keeps this server's mirror of
/// the ledger's hashes caught up on each word of growth, so that proofs stay in memory on
/// every server (its own commits extend the mirror as they go).
pub fn follow_other_writers(store: Arc<dyn Store>) {
    let Some(mut growth) = store.growth() else {
        return;
    };
    tokio::spawn(async move {
        while growth.changed().await.is_ok() {
            let cache = store.hash_cache();
            if cache.mirrored() >= cache.mirror_capacity() as u64 {
                // A full mirror grows no more; proofs beyond it read the database.
                continue;
            }
            if let Err(e) = concord_store::ledger::warm(store.as_ref()).await {
                tracing::warn!(error = %e, "could not catch the ledger's hash mirror up");
            }
        }
    });
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    api::routes()
        .with_state(state)
        .layer(axum::middleware::map_response(security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// What every answer says to the browser: load nothing but Concord's own files, never
/// inside a frame, never guess a media type, keep nothing that did not say it may be kept
/// (a page showing a new password, a session's pages), and send the referrer only to
/// Concord itself.
pub(crate) async fn security_headers(
    mut response: axum::response::Response,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// `listener`, each of whose connections sends every write at once (`TCP_NODELAY`). A live
/// stream's entries are small writes one after another: with Nagle's algorithm on, each one
/// after the first waited for the reader's acknowledgement of the one before, which a
/// reader may delay up to 40 ms (measured: 1,000 subscribers' p99 46.5 → 9.8 ms; three
/// servers' deliveries p99 35.8 → 1.9 ms).
pub fn sending_at_once(listener: TcpListener) -> axum::serve::TapIo<TcpListener, SendAtOnce> {
    use axum::serve::ListenerExt;
    listener.tap_io(send_at_once as SendAtOnce)
}

/// What [`sending_at_once`] does to each connection.
pub type SendAtOnce = fn(&mut tokio::net::TcpStream);

pub(crate) fn send_at_once(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY could not be set on a connection");
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tail = state.tail.clone();
    axum::serve(
        sending_at_once(listener),
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tail.stop();
    })
    .await
}
