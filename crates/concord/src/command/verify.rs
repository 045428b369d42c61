//! `concord verify`: a document bundle checked offline against an exported key folder,
//! trusting nothing but the keys.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use concord_core::bundle::{self, Bundle};

/// Verify a document bundle offline against an exported key folder.
#[derive(Debug, clap::Args)]
pub struct Verify {
    /// The bundle file.
    file: PathBuf,
    /// Folder written by `concord keys export`.
    #[arg(long)]
    keys: PathBuf,
}

impl Verify {
    /// Verifies the bundle; fails naming every check that failed.
    pub fn run(self) -> anyhow::Result<()> {
        verify(&self.file, &self.keys)
    }
}

/// Verifies a bundle file offline against an exported key folder; fails naming every
/// check that failed.
fn verify(file: &Path, keys: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bundle: Bundle = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a document bundle", file.display()))?;
    // Every byte counts: the file must be exactly the canonical form of what it holds.
    let canonical = concord_ledger::canonical::to_string(&bundle) + "\n";
    if let Some(at) = canonical
        .bytes()
        .zip(bytes.iter().copied())
        .position(|(a, b)| a != b)
        .or_else(|| (canonical.len() != bytes.len()).then_some(canonical.len().min(bytes.len())))
    {
        bail!(
            "{}: not in canonical form from byte {at}: the file was altered after export",
            file.display()
        );
    }
    let trusted = crate::keys::import(keys)?;
    match bundle::verify(&bundle, &trusted) {
        Ok(v) => {
            println!(
                "{}: verified. {} version {} {} by {} ({}) on {}; {} member signatures valid; ledger leaf {} of {} under a signed checkpoint",
                file.display(),
                v.decision.document,
                v.decision.version,
                match v.decision.outcome {
                    concord_core::consensus::Outcome::Adopted => "adopted",
                    concord_core::consensus::Outcome::Blocked => "blocked",
                },
                v.decision.body,
                v.decision.rule_code,
                v.decision.decided_on,
                v.signatures,
                v.leaf.0,
                v.leaf.1
            );
            Ok(())
        }
        Err(failures) => {
            let lines: Vec<String> = failures.iter().map(|f| format!("  {f}")).collect();
            bail!(
                "{}: verification FAILED\n{}",
                file.display(),
                lines.join("\n")
            )
        }
    }
}
