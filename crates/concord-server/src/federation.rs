//! The federation's endpoints: who this node is, the checkpoints of every log it holds,
//! and the pages of a log a peer node may receive, decided by the one access policy for
//! the peer's state. A peer proves it is asking for itself with its registered node key
//! (the `Concord-Node` header); nothing here has a "trusted peer" switch.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::Uri;
use concord_core::federation::{NodeRegistration, request_message};
use concord_core::keys::KeyOwner;
use concord_core::registry::MemberStatus;
use concord_core::releasability::Reader;
use concord_ledger::signature::{PublicKey, SecretKey, SignatureB64, verify_message};
use concord_store::federation::{self, FederationError, LeavesPage, MirrorHead, Refusal};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiQuery;
use crate::problem::{Problem, ProblemKind};
use crate::reader::ReaderOf;

/// The header a node's request carries: `<its origin> <issued-at> <signature>`.
pub const NODE_HEADER: &str = "concord-node";

/// How far a request's moment may be from this node's clock.
const SKEW: time::Duration = time::Duration::minutes(5);

/// This node in the federation: whose it is, and the key it signs its requests with.
pub struct NodeIdentity {
    /// Whose node: a member state's crisis centre, or the secretariat.
    pub owner: KeyOwner,
    /// The node key.
    pub key: Arc<SecretKey>,
    /// The cosignatures it last gave each log it mirrors.
    pub cosigned: Arc<concord_store::federation::Cosignatures>,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("owner", &self.owner)
            .field("key", &self.key)
            .finish()
    }
}

/// What this node knows of each peer it pulls from: for the duty officer's view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeerState {
    /// The peer's address.
    pub url: String,
    /// Whose node it is, once it answered.
    pub owner: Option<String>,
    /// The last time it answered (RFC 3339).
    pub last_contact: Option<String>,
    /// The last failure (unreachable, refused), if the last attempt failed.
    pub last_error: Option<String>,
    /// Per log: leaves held here, and the size of the peer's checkpoint.
    pub logs: BTreeMap<String, (u64, u64)>,
    /// Entries this node refused from it.
    pub refused: u64,
    /// Other nodes' logs whose checkpoints it served cosigned (C2SP tlog-cosignature), at
    /// the last pull.
    pub witnessed: u64,
}

impl PeerState {
    /// Leaves the peer holds that this node does not yet.
    pub fn lag(&self) -> u64 {
        self.logs
            .values()
            .map(|(held, theirs)| theirs.saturating_sub(*held))
            .sum()
    }
}

/// The peers' states, shared by the pulling task and the console.
#[derive(Debug, Default)]
pub struct PeerBoard {
    peers: Mutex<BTreeMap<String, PeerState>>,
}

impl PeerBoard {
    /// Changes the state of the peer at `url`.
    pub fn update(&self, url: &str, f: impl FnOnce(&mut PeerState)) {
        let mut peers = self.peers.lock().expect("the peer board is never poisoned");
        let peer = peers.entry(url.to_owned()).or_insert_with(|| PeerState {
            url: url.to_owned(),
            ..PeerState::default()
        });
        f(peer);
    }

    /// Every peer's state, by address.
    pub fn all(&self) -> Vec<PeerState> {
        self.peers
            .lock()
            .expect("the peer board is never poisoned")
            .values()
            .cloned()
            .collect()
    }
}

/// The federation's routes alone, as the TLS listener serves them to other nodes.
pub fn routes_app(state: AppState) -> axum::Router {
    let (router, _) = routes().split_for_parts();
    router
        .with_state(state)
        .layer(axum::middleware::map_response(crate::security_headers))
}

/// The federation's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(node))
        .routes(routes!(checkpoints))
        .routes(routes!(equivocations))
        .routes(routes!(leaves))
        .routes(routes!(peers))
}

/// This node: its log's origin and key, whose it is, and its node key.
#[utoipa::path(get, path = "/api/v1/federation/node", tag = "federation", responses((status = 200, description = "This node", body = Object), crate::openapi::ReadErrors))]
async fn node(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let identity = state.node.as_ref().ok_or_else(no_node_key)?;
    Ok(Json(json!({
        "owner": identity.owner.to_string(),
        "origin": state.log_key.origin(),
        "log_key": state.log_key.verifier_key(),
        "node_key": identity.key.public().to_b64(),
    })))
}

fn no_node_key() -> Problem {
    Problem::new(
        ProblemKind::NotFound,
        "this server runs without a node key: it takes no part in a federation",
    )
}

/// The latest checkpoint of every log this node holds (its own, then the ones it
/// mirrors), as C2SP signed notes: what nodes compare to catch a log with two histories.
#[utoipa::path(get, path = "/api/v1/federation/checkpoints", tag = "federation", responses((status = 200, description = "The checkpoints held", body = [Object]), crate::openapi::ReadErrors))]
async fn checkpoints(State(state): State<AppState>) -> Result<Json<Vec<MirrorHead>>, Problem> {
    let witness = state
        .node
        .as_ref()
        .map(|n| (n.key.as_ref(), n.cosigned.as_ref()));
    Ok(Json(
        federation::heads(state.store.as_ref(), &state.log_key, witness).await?,
    ))
}

/// The proofs of two histories this node holds: pairs of signed checkpoints of one log, of
/// one size, with different roots. Anyone can check them with the log's key, so nodes pass
/// them on, and the secretariat and every state hear of a node that showed two histories.
#[utoipa::path(get, path = "/api/v1/federation/equivocations", tag = "federation", responses((status = 200, description = "Proofs of two histories", body = [Object]), crate::openapi::ReadErrors))]
async fn equivocations(
    State(state): State<AppState>,
) -> Result<Json<Vec<federation::Equivocation>>, Problem> {
    Ok(Json(federation::equivocations(state.store.as_ref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LeavesParams {
    /// The log's origin.
    origin: Option<String>,
    /// The first leaf (0 if absent).
    #[param(pattern = r"^[0-9]+$")]
    start: Option<String>,
}

/// A page of one log, as the asking node's state may receive it: every leaf hash, the
/// entries released to that state, and a proof to the latest checkpoint. Only for a
/// registered node, signing with its node key.
#[utoipa::path(get, path = "/api/v1/federation/leaves", tag = "federation", params(LeavesParams), responses((status = 200, description = "A page of the log", body = Object), crate::openapi::ReadErrors))]
async fn leaves(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    tls: Option<axum::Extension<crate::federation_tls::PeerNodeKey>>,
    ApiQuery(q): ApiQuery<LeavesParams>,
) -> Result<Json<LeavesPage>, Problem> {
    let Some(axum::Extension(crate::federation_tls::PeerNodeKey(tls_key))) = tls else {
        return Err(Problem::new(
            ProblemKind::NotAuthenticated,
            "sync is served to other nodes over TLS, on this node's federation listener",
        ));
    };
    let reader = peer_reader(&state, &headers, &uri, &tls_key).await?;
    let origin = q
        .origin
        .ok_or_else(|| Problem::bad_parameter("origin is required"))?;
    let start = match q.start {
        Some(s) => s.parse().map_err(|_| {
            Problem::bad_parameter(format!("start: `{s}` is not a whole number ≥ 0"))
        })?,
        None => 0,
    };
    let page = federation::page_for(
        state.store.as_ref(),
        &state.log_key,
        &reader,
        &state.charter.sharing_groups,
        &origin,
        start,
    )
    .await
    .map_err(Problem::from)?;
    Ok(Json(page))
}

/// The peers this node pulls from, and what it refused from them: for its own officers.
#[utoipa::path(get, path = "/api/v1/federation/peers", tag = "federation", responses((status = 200, description = "The peers' states and the latest refusals", body = Object), crate::openapi::ReadErrors))]
async fn peers(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
) -> Result<Json<Value>, Problem> {
    if matches!(reader, Reader::Public) {
        return Err(Problem::new(
            ProblemKind::NotAuthenticated,
            "the peers' states are for this node's officers: sign in or send a token",
        ));
    }
    let refusals: Vec<Refusal> = state.store.refusals(100).await?;
    Ok(Json(json!({
        "peers": state.peers.all().iter().map(|p| json!({
            "url": p.url,
            "owner": p.owner,
            "last_contact": p.last_contact,
            "last_error": p.last_error,
            "lag": p.lag(),
            "refused": p.refused,
            "witnessed": p.witnessed,
            "logs": p.logs.iter().map(|(o, (held, theirs))| json!({"origin": o, "held": held, "theirs": theirs})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "refusals": refusals,
    })))
}

/// The reader a node's signed request reads as: its state on the day (a member or a
/// partner; a state whose participation is frozen, suspended or ended receives nothing),
/// or the secretariat.
async fn peer_reader(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    tls_key: &[u8; 32],
) -> Result<Reader, Problem> {
    let refused = |why: &str| Problem::new(ProblemKind::NotAuthenticated, why.to_owned());
    let value = headers
        .get(NODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refused("only a registered node may pull: sign the request with its node key (Concord-Node header)"))?;
    let mut parts = value.split(' ');
    let (Some(from), Some(issued_at), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refused(
            "the Concord-Node header is `<origin> <issued-at> <signature>`",
        ));
    };
    let issued =
        time::OffsetDateTime::parse(issued_at, &time::format_description::well_known::Rfc3339)
            .map_err(|_| refused("the Concord-Node moment is not RFC 3339"))?;
    let now = time::OffsetDateTime::now_utc();
    if (issued - now).abs() > SKEW {
        return Err(refused(
            "the request's moment is more than 5 minutes from this node's clock",
        ));
    }
    // Unknown node and bad signature answer alike.
    let nodes: Vec<NodeRegistration> = state.store.nodes().await?;
    let target = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let registered = nodes.iter().find(|n| n.origin == from).filter(|n| {
        let message = request_message(from, state.log_key.origin(), target, issued_at);
        // The request is signed by the key the connection was made with.
        match (
            PublicKey::parse(&n.node_key),
            SignatureB64::parse(signature),
        ) {
            (Ok(key), Ok(sig)) => {
                key.to_bytes() == *tls_key && verify_message(&key, &message, &sig).is_ok()
            }
            _ => false,
        }
    });
    let registered = registered.ok_or_else(|| refused("no registered node signed this request"))?;
    match registered.owner {
        KeyOwner::Secretariat => Ok(Reader::Secretariat),
        KeyOwner::Member(code) => {
            let timeline = state.charter.timeline(state.store.status_records().await?);
            let status = timeline.status_on(code, now.date()).map(|s| s.status);
            match status {
                Some(status @ (MemberStatus::Member | MemberStatus::Partner)) => {
                    Ok(Reader::State { code, status })
                }
                _ => Err(Problem::new(
                    ProblemKind::NotAuthorised,
                    format!("{code} is not a member or partner today: its node receives nothing"),
                )),
            }
        }
    }
}

impl From<FederationError> for Problem {
    fn from(e: FederationError) -> Self {
        match e {
            FederationError::Store(e) => e.into(),
            FederationError::Ledger(e) => e.into(),
            FederationError::UnknownLog(_) => Problem::unknown(e.to_string()),
            FederationError::OutOfRange(m) => Problem::bad_parameter(m),
            FederationError::Unreachable(m) => Problem::new(ProblemKind::StoreUnavailable, m),
            FederationError::Refused { .. } => Problem::new(ProblemKind::Conflict, e.to_string()),
            FederationError::Command(e) => (*e).into(),
        }
    }
}

/// Signs a request of this node for `target` (path and query) on the node `to`: the
/// `Concord-Node` header's value.
pub fn sign_request(key: &SecretKey, from: &str, to: &str, target: &str) -> String {
    let issued_at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero nanoseconds")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times format");
    let signature = key.sign_message(&request_message(from, to, target, &issued_at));
    format!("{from} {issued_at} {}", signature.to_b64())
}

/// Shared handle to the peers' states.
pub type SharedPeers = Arc<PeerBoard>;
