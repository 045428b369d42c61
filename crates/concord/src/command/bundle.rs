//! `concord bundle`: the bundle of a decided document, written as canonical JSON for
//! anyone to verify offline (`concord verify`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use concord_store::Store;

use crate::database;

/// Bundle operations.
#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Write the bundle of a decided document (canonical JSON).
    Export {
        /// The document.
        document: String,
        /// Output file (default: DOCUMENT.bundle.json).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The ledger's signing key.
        #[arg(long, env = "CONCORD_LOG_KEY", default_value = "concord-log.key")]
        log_key: PathBuf,
    },
}

impl BundleCommand {
    /// Carries out the bundle operation.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let BundleCommand::Export {
            document,
            out,
            log_key,
        } = self;
        let store = database::open(database).await?;
        let log_key = super::node_log_key(store.as_ref(), &log_key).await?;
        export(store.as_ref(), &log_key, &document, out).await
    }
}

/// Writes the bundle of a decided document as canonical JSON.
async fn export(
    store: &dyn Store,
    log_key: &concord_ledger::checkpoint::LogKey,
    document: &str,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let bundle = concord_store::council::bundle(store, log_key, document).await?;
    let text = concord_ledger::canonical::to_string(&bundle) + "\n";
    let path = out.unwrap_or_else(|| PathBuf::from(format!("{document}.bundle.json")));
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "wrote {}: {} version {}, ledger leaf {} of {}",
        path.display(),
        bundle.version.document,
        bundle.version.number,
        bundle.proof.index,
        bundle.proof.tree_size
    );
    Ok(())
}
