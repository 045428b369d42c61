//! `concord sync`: pull from a peer once, export to a file for a state, import a file.

use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;
use concord_core::keys::KeyOwner;
use concord_store::council::Deployment;

use crate::database;
use crate::federation::syncer;

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

/// Runs `concord sync …`.
pub async fn run(database: &str, what: SyncCommand) -> anyhow::Result<()> {
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
