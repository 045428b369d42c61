//! `concord nodes`: the federation's registry of nodes — register one (on the
//! secretariat's node), print this node's registration, list them.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use concord_core::federation::NodeRegistration;
use concord_core::keys::KeyOwner;
use concord_store::council::Deployment;

use crate::database;

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

/// Runs `concord nodes …`.
pub async fn run(database: &str, what: NodesCommand) -> anyhow::Result<()> {
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
