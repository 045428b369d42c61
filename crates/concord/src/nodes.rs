//! `concord nodes` (the federation's registry of nodes) and `concord sync` (pull from a
//! peer once, export to a file for a state, import a file).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;
use concord_core::federation::NodeRegistration;
use concord_core::keys::KeyOwner;
use concord_store::Store;
use concord_store::council::Deployment;

use crate::database;
use crate::sync::Syncer;

/// The federation's nodes.
#[derive(Debug, Subcommand)]
pub enum NodesCommand {
    /// Register a node in the registry (on the secretariat's node): from its address,
    /// which answers who it is, or from the file `concord nodes self` wrote.
    Register {
        /// The node's address (`http://10.0.0.2:8080`).
        #[arg(long, conflicts_with = "file")]
        from: Option<String>,
        /// The node's registration file, carried by hand.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Whose node it must be (checked against what it says).
        #[arg(long)]
        owner: KeyOwner,
    },
    /// This node's registration, to carry to the secretariat (JSON).
    #[command(name = "self")]
    Me {
        /// The ledger's signing key.
        #[arg(long, env = "CONCORD_LOG_KEY", default_value = "concord-log.key")]
        log_key: PathBuf,
        /// The node key (created, owner-only, if missing).
        #[arg(long, env = "CONCORD_NODE_KEY", default_value = "concord-node.key")]
        node_key: PathBuf,
    },
    /// The registered nodes.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Sync without the server: once, or through a file.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Pull once from a peer, showing progress.
    Pull {
        /// The peer's address.
        #[arg(long)]
        peer: String,
        /// The node key.
        #[arg(long, env = "CONCORD_NODE_KEY", default_value = "concord-node.key")]
        node_key: PathBuf,
    },
    /// Write what a state may receive of every log this node holds to a file.
    Export {
        /// The state (KGZ) or `secretariat` the file is for.
        #[arg(long)]
        to: KeyOwner,
        /// The file.
        #[arg(long)]
        out: PathBuf,
        /// The ledger's signing key.
        #[arg(long, env = "CONCORD_LOG_KEY", default_value = "concord-log.key")]
        log_key: PathBuf,
    },
    /// Check a file written by `sync export` as a pull would, and keep what passes.
    Import {
        /// The file.
        file: PathBuf,
    },
    /// The logs this node mirrors and what it refused.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `concord nodes …`.
pub async fn nodes(database: &str, what: NodesCommand) -> anyhow::Result<()> {
    let store = database::open(database).await?;
    match what {
        NodesCommand::Register { from, file, owner } => {
            let deployment = Deployment::read(store.as_ref()).await?;
            let text = match (from, file) {
                (Some(url), _) => {
                    let url = url.trim_end_matches('/');
                    let v: serde_json::Value =
                        crate::sync::http::get_json(format!("{url}/api/v1/federation/node"))
                            .await
                            .map_err(anyhow::Error::msg)?;
                    v.to_string()
                }
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
                (None, None) => {
                    bail!("say where the node's registration comes from: --from URL or --file FILE")
                }
            };
            let said: serde_json::Value =
                serde_json::from_str(&text).context("the node's registration is not JSON")?;
            let field = |name: &str| -> anyhow::Result<String> {
                said[name]
                    .as_str()
                    .map(str::to_owned)
                    .with_context(|| format!("the node's registration has no `{name}`"))
            };
            if field("owner")? != owner.to_string() {
                bail!(
                    "the node says it is {}'s, not {owner}'s: nothing registered",
                    field("owner")?
                );
            }
            let registration = NodeRegistration {
                owner,
                origin: field("origin")?,
                log_key: field("log_key")?,
                node_key: field("node_key")?,
                registered_on: time::OffsetDateTime::now_utc().date(),
            };
            match concord_store::federation::register_node(
                store.as_ref(),
                &deployment,
                registration.clone(),
            )
            .await?
            {
                Some(_) => println!(
                    "registered {owner}'s node {} (node key {})",
                    registration.origin, registration.node_key
                ),
                None => println!(
                    "{owner}'s node {} is registered already",
                    registration.origin
                ),
            }
            Ok(())
        }
        NodesCommand::Me { log_key, node_key } => {
            let deployment = Deployment::read(store.as_ref()).await?;
            let (log_key, _) = crate::log_key::load_or_create(&log_key, &deployment.origin)?;
            let (key, _) = crate::node_key::load_or_create(&node_key)?;
            println!(
                "{}",
                serde_json::json!({
                    "owner": deployment.owner().to_string(),
                    "origin": deployment.origin,
                    "log_key": log_key.verifier_key(),
                    "node_key": key.public().to_b64(),
                })
            );
            Ok(())
        }
        NodesCommand::List { json } => {
            let nodes = store.nodes().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&nodes)?);
                return Ok(());
            }
            if nodes.is_empty() {
                println!("no node is registered");
            }
            for n in nodes {
                println!(
                    "{:<12} {}  registered {}",
                    n.owner.to_string(),
                    n.origin,
                    n.registered_on
                );
            }
            Ok(())
        }
    }
}

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

/// Runs `concord sync …`.
pub async fn sync(database: &str, what: SyncCommand) -> anyhow::Result<()> {
    let store = database::open(database).await?;
    match what {
        SyncCommand::Pull { peer, node_key } => {
            let syncer = syncer(store, Some(&node_key)).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} entries")
                    .expect("the template is valid"),
            );
            let report = syncer
                .pull(&peer, &mut |origin, held, size| {
                    bar.set_message(origin.to_owned());
                    bar.set_length(size);
                    bar.set_position(held);
                })
                .await
                .map_err(anyhow::Error::msg)?;
            bar.finish_and_clear();
            for (origin, before, after, theirs) in &report.logs {
                println!(
                    "{origin}: {} new entries, {after} held of {theirs}",
                    after - before
                );
            }
            for origin in &report.unknown {
                println!("{origin}: not a registered node's log; not taken");
            }
            for refused in &report.refused {
                println!("refused {refused}");
            }
            for origin in &report.equivocations {
                println!("{origin}: the peer passed on a proof that this log showed two histories");
            }
            if report.refused.is_empty() {
                Ok(())
            } else {
                bail!("{} logs refused", report.refused.len())
            }
        }
        SyncCommand::Export { to, out, log_key } => {
            let deployment = Deployment::read(store.as_ref()).await?;
            let (log_key, _) = crate::log_key::load_or_create(&log_key, &deployment.origin)?;
            let (pages, leaves) =
                crate::sync::file::export(store.as_ref(), &log_key, &deployment.charter, to, &out)
                    .await?;
            println!(
                "wrote {pages} pages ({leaves} leaves, entries only where {to} may read them) to {}",
                out.display()
            );
            Ok(())
        }
        SyncCommand::Import { file } => {
            // Importing needs no node key: nothing is asked of anyone.
            let syncer = syncer(store, None).await?;
            let done = crate::sync::file::import(&syncer, &file).await?;
            println!("kept {} new entries from {}", done.leaves, file.display());
            for origin in &done.unknown {
                println!("{origin}: not a registered node's log; not taken");
            }
            for refused in &done.refused {
                println!("refused {refused}");
            }
            if done.refused.is_empty() {
                Ok(())
            } else {
                bail!("{} pages refused", done.refused.len())
            }
        }
        SyncCommand::Status { json } => {
            let heads = store.mirror_heads().await?;
            let refusals = store.refusals(50).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"logs": heads, "refusals": refusals})
                );
                return Ok(());
            }
            for h in heads {
                println!("{}: {} entries verified", h.origin, h.size);
            }
            for r in refusals {
                println!(
                    "{} refused from {} ({}): {}",
                    r.at, r.peer, r.origin, r.reason
                );
            }
            Ok(())
        }
    }
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
    let node = crate::nodes::take_part(
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
        crate::cli::announce(&format!(
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
    use super::*;

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
