//! `concord audit`: the whole ledger re-hashed from its entries, every stored hash and
//! the root checked, every member signature verified again.

use super::print_json;
use crate::database;

/// Re-hash the whole ledger from its entries and check every stored hash and the root.
#[derive(Debug, clap::Args)]
pub struct Audit {
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

impl Audit {
    /// Audits the ledger, showing progress; fails at the first entry that does not hold.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = database::open(database).await?;
        let bar = indicatif::ProgressBar::new(store.ledger_size().await?);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "auditing {bar:40} {pos}/{len} entries ({per_sec})",
            )
            .expect("a valid template"),
        );
        let report =
            concord_store::ledger::audit(store.as_ref(), |done, _| bar.set_position(done)).await;
        bar.finish_and_clear();
        let report = report?;
        let root = concord_ledger::proof::B64(report.root);
        if self.json {
            print_json(&serde_json::json!({
                "entries": report.entries,
                "hashes": report.hashes,
                "signatures": report.signatures,
                "root": root,
                "ok": true
            }))
        } else {
            println!(
                "ledger intact: {} entries and {} stored hashes re-hashed, {} member signatures re-verified; root {}",
                report.entries,
                report.hashes,
                report.signatures,
                serde_json::to_value(root)?.as_str().unwrap_or_default()
            );
            Ok(())
        }
    }
}
