//! `concord alerts`: CAP 1.2 alerts in (signed with a key file), listed, and out as CAP
//! 1.2 XML.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use concord_core::code::Slug;
use concord_core::council::{Command, IssueAlert};
use concord_core::releasability::{Reader, Releasability};
use concord_store::Store;

/// Alert operations.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Issue an alert from a CAP 1.2 file (from a national warning service, or written for
    /// the organisation), signed with a key file.
    Import {
        /// The CAP 1.2 XML file.
        file: PathBuf,
        /// The signing key (the secretariat's, for the crisis-response centre, or a
        /// member's).
        #[arg(long, env = "CONCORD_KEY")]
        key: PathBuf,
        /// Concord's identifier for the alert.
        #[arg(long)]
        id: Slug,
        /// Who may read it: originator, members, members+partners, group:NAME or public;
        /// by default from the CAP scope (Public → public, Restricted → members, Private →
        /// originator).
        #[arg(long)]
        releasability: Option<Releasability>,
        /// The situation it belongs to.
        #[arg(long)]
        situation: Option<Slug>,
        /// Print the signed command (for `POST /api/v1/alerts`) instead of recording it.
        #[arg(long)]
        print: bool,
    },
    /// The alerts, newest first (as the secretariat reads them).
    List,
    /// Write an alert as CAP 1.2 XML.
    Export {
        /// The alert's identifier.
        id: Slug,
        /// Where to write it (standard output if absent).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

/// Carries out an alert operation.
pub async fn run(store: &dyn Store, what: AlertsCommand) -> anyhow::Result<()> {
    match what {
        AlertsCommand::Import {
            file,
            key,
            id,
            releasability,
            situation,
            print,
        } => {
            let cap = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            concord_cap::parse(cap.as_bytes())
                .with_context(|| format!("{} is not a CAP 1.2 alert", file.display()))?;
            let (secret, owner) = crate::keys::read_secret(&key)?;
            let command = Command::IssueAlert(IssueAlert {
                id,
                cap,
                releasability,
                situation,
            });
            super::council::sign_and_record(store, &secret, owner, command, print).await
        }
        AlertsCommand::List => {
            let page = concord_store::alerts::AlertPage {
                limit: i64::MAX,
                ..Default::default()
            };
            let alerts =
                concord_store::alerts::summaries(store, &Reader::Secretariat, &[], &page).await?;
            for a in alerts {
                println!(
                    "{:<24} {:<12} {:<9} {:<26} {}",
                    a.id,
                    a.issuer,
                    a.severity.as_deref().unwrap_or("-"),
                    a.sent.as_deref().unwrap_or("-"),
                    a.title.as_deref().unwrap_or("-"),
                );
            }
            Ok(())
        }
        AlertsCommand::Export { id, out } => {
            let alert = concord_store::alerts::alert(store, &Reader::Secretariat, &[], id.as_str())
                .await?
                .with_context(|| format!("no alert `{id}` (or none the secretariat may read)"))?;
            let xml = concord_cap::to_xml(&alert.message()?);
            match out {
                Some(path) => std::fs::write(&path, xml)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{xml}"),
            }
            Ok(())
        }
    }
}
