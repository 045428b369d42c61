//! This node in the federation: the syncer of the command line, and a server taking part
//! (its node key, its TLS listener, the registry's nodes it accepts, the pulls from its
//! peers).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use concord_core::federation::NodeRegistration;
use concord_store::Store;
use concord_store::council::Deployment;

use crate::sync::Syncer;

/// A syncer for this node's store, on the command line (no live stream).
pub async fn syncer(store: Arc<dyn Store>, node_key: Option<&Path>) -> anyhow::Result<Syncer> {
    let deployment = Deployment::read(store.as_ref()).await?;
    let (key, tls) = match node_key {
        Some(path) => {
            let key = crate::node_key::load_or_create(path)?.0;
            let known = Arc::new(concord_server::federation_tls::KnownNodes::default());
            known.set_registered(&store.nodes().await?, deployment.node.as_ref());
            let tls = concord_server::federation_tls::client_config(&key, known)?;
            (Some(Arc::new(key)), Some(tls))
        }
        None => (None, None),
    };
    Ok(Syncer {
        origin: deployment.origin.clone(),
        owner: deployment.owner(),
        key,
        tls,
        anchor: deployment.node.clone(),
        charter: deployment.charter.clone(),
        tail: None,
        peers: Default::default(),
        store,
    })
}

/// A server taking part in the federation: its state, the TLS configuration its
/// federation listener serves with, and its node key (base64).
pub struct TakingPart {
    /// The server's state.
    pub state: concord_server::AppState,
    /// TLS for the federation listener.
    pub tls_server: Arc<rustls::ServerConfig>,
    /// This node's key, base64.
    pub node_key: String,
}

/// How often the registry's nodes are read again for the TLS listener even with no word
/// of a registration (one written by another process, a broadcast missed).
const KNOW_NODES_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The node keys of the registry (and, on a member state's node, the secretariat's named at
/// its start), kept in `known`: read again as soon as a `node-registered` entry reaches the
/// live stream (this ledger's, or one received from a peer: a node just registered is
/// accepted at once), and every `every` in any case.
async fn know_nodes(
    store: Arc<dyn Store>,
    anchor: Option<concord_core::federation::NodeOf>,
    known: Arc<concord_server::federation_tls::KnownNodes>,
    mut entries: tokio::sync::broadcast::Receiver<Arc<concord_server::stream::Tailed>>,
    every: std::time::Duration,
) -> anyhow::Result<()> {
    use tokio::sync::broadcast::error::RecvError;
    let refresh = move |nodes: Vec<NodeRegistration>| known.set_registered(&nodes, anchor.as_ref());
    refresh(store.nodes().await?);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.reset();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                seen = entries.recv() => match seen {
                    Ok(entry) if entry.kind == "node-registered" => {}
                    Ok(_) => continue,
                    // Entries were missed: one of them may have been a registration.
                    Err(RecvError::Lagged(_)) => {}
                    // The server's live stream is gone, and the server with it.
                    Err(RecvError::Closed) => return,
                },
            }
            match store.nodes().await {
                Ok(nodes) => refresh(nodes),
                Err(e) => tracing::warn!(error = %e, "could not read the registry's nodes"),
            }
        }
    });
    Ok(())
}

/// The server's state as a node of the federation: its node key loaded (created if
/// missing); on the secretariat's node, its own node registered in the registry; TLS set
/// up with the node key; and, with peers, a task pulling from them every `every_ms`.
pub async fn take_part(
    store: Arc<dyn Store>,
    deployment: Deployment,
    log_key: concord_ledger::checkpoint::LogKey,
    node_key: &Path,
    peers: &[String],
    every_ms: u64,
) -> anyhow::Result<TakingPart> {
    let (key, created) = crate::node_key::load_or_create(node_key)?;
    if created {
        eprintln!(
            "generated this node's key at {} (readable by you only)",
            node_key.display()
        );
    }
    let owner = deployment.owner();
    if deployment.node.is_none() {
        let own = NodeRegistration {
            owner,
            origin: deployment.origin.clone(),
            log_key: log_key.verifier_key().to_owned(),
            node_key: key.public().to_b64(),
            registered_on: time::OffsetDateTime::now_utc().date(),
        };
        if let Err(e) =
            concord_store::federation::register_node(store.as_ref(), &deployment, own).await
        {
            tracing::warn!(error = %e, "could not register this node in the registry");
        }
    }
    let known = Arc::new(concord_server::federation_tls::KnownNodes::default());
    let tls_server = concord_server::federation_tls::server_config(&key, known.clone())?;
    let tls_client = concord_server::federation_tls::client_config(&key, known.clone())?;
    let key = Arc::new(key);
    let anchor = deployment.node.clone();
    let charter = deployment.charter.clone();
    let origin = deployment.origin.clone();
    let node_key = key.public().to_b64();
    let state = concord_server::AppState::new(store.clone(), deployment, log_key).with_node(
        concord_server::federation::NodeIdentity {
            owner,
            key: key.clone(),
            cosigned: Default::default(),
        },
    );
    let entries = state.tail.subscribe();
    know_nodes(
        store.clone(),
        anchor.clone(),
        known,
        entries,
        KNOW_NODES_EVERY,
    )
    .await?;
    if !peers.is_empty() {
        let syncer = Arc::new(Syncer {
            store,
            origin,
            owner,
            key: Some(key),
            tls: Some(tls_client),
            anchor,
            charter,
            tail: Some(state.tail.clone()),
            peers: state.peers.clone(),
        });
        tokio::spawn(syncer.run(
            peers.to_vec(),
            std::time::Duration::from_millis(every_ms.max(50)),
        ));
    }
    Ok(TakingPart {
        state,
        tls_server,
        node_key,
    })
}

/// The server's state as a node of the federation, with its federation listener started.
pub async fn federate(
    store: std::sync::Arc<dyn concord_store::Store>,
    deployment: concord_store::council::Deployment,
    log_key: concord_ledger::checkpoint::LogKey,
    federation: FederationArgs,
) -> anyhow::Result<concord_server::AppState> {
    let node = take_part(
        store,
        deployment,
        log_key,
        &federation.node_key,
        &federation.peers,
        federation.pull_every_ms,
    )
    .await?;
    let state = node.state.clone();
    if let Some(address) = federation.federation_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        crate::command::announce(&format!(
            "Serving other nodes over TLS at https://{}/ (node key {})",
            listener.local_addr()?,
            node.node_key
        ));
        let app = concord_server::federation::routes_app(state.clone());
        let tail = state.tail.clone();
        tokio::spawn(concord_server::federation_tls::serve(
            listener,
            app,
            node.tls_server,
            async move { tail.stopped().await },
        ));
    }
    Ok(state)
}

/// How `serve` takes part in a federation.
#[derive(Debug, clap::Args)]
pub struct FederationArgs {
    /// The node key, which signs this node's requests to its peers (created, owner-only,
    /// if missing).
    #[arg(long, env = "CONCORD_NODE_KEY", default_value = "concord-node.key")]
    pub node_key: PathBuf,
    /// Where to serve other nodes, over TLS with this node's key (`0.0.0.0:8443`); sync is
    /// served nowhere else.
    #[arg(long, env = "CONCORD_FEDERATION_LISTEN")]
    pub federation_listen: Option<std::net::SocketAddr>,
    /// A peer node's federation address to pull from, `https://HOST:PORT` (repeat, or
    /// separate with commas).
    #[arg(long = "peer", env = "CONCORD_PEERS", value_delimiter = ',')]
    pub peers: Vec<String>,
    /// How often to pull from each peer, in milliseconds.
    #[arg(long, env = "CONCORD_PULL_EVERY_MS", default_value_t = 1000)]
    pub pull_every_ms: u64,
}

#[cfg(test)]
mod tests {
    use concord_core::keys::KeyOwner;

    use super::*;
    use crate::database;

    /// A node registered while the server runs is accepted as soon as its entry reaches
    /// the live stream, not at the next periodic read (here a minute away).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_node_registered_is_known_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("concord.db").display());
        let store = database::open(&url).await.unwrap();
        let tail = concord_server::stream::Tail::start(store.clone());
        let known = Arc::new(concord_server::federation_tls::KnownNodes::default());
        let every = std::time::Duration::from_secs(60);
        know_nodes(store.clone(), None, known.clone(), tail.subscribe(), every)
            .await
            .unwrap();
        // The tailer reads on from where the ledger ends when it starts: an entry seen on
        // the stream says it has started.
        let mut seen = tail.subscribe();
        for n in 0.. {
            assert!(n < 50, "the tailer never started");
            let source = concord_core::history::Source {
                file: format!("before-{n}.txt"),
                title: "Before".into(),
                published: None,
            };
            let event = concord_core::event::Event::SourceCited(source);
            store.commit(&[event], None).await.unwrap();
            tail.wake();
            let wait = std::time::Duration::from_millis(200);
            if tokio::time::timeout(wait, seen.recv()).await.is_ok() {
                break;
            }
        }
        let node_key = concord_ledger::signature::SecretKey::generate().public();
        assert!(!known.knows(&node_key.to_bytes()));
        let registration = NodeRegistration {
            owner: KeyOwner::Member("KAZ".parse().unwrap()),
            origin: "csto.concord/ledger/kaz".into(),
            log_key: "unused".into(),
            node_key: node_key.to_b64(),
            registered_on: time::macros::date!(2026 - 12 - 07),
        };
        store
            .commit(
                &[concord_core::event::Event::NodeRegistered(registration)],
                None,
            )
            .await
            .unwrap();
        tail.wake();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !known.knows(&node_key.to_bytes()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the new node is still unknown"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tail.stop();
    }
}
