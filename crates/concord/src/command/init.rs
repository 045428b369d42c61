//! `concord init`: create the organisation from a charter and a history (the built-in demo
//! data unless files are given), or a member state's node from the charter alone.

use std::path::PathBuf;

use anyhow::Context;
use concord_store::init::{InitFiles, InitOutcome};

use crate::{database, demo};

/// Create the organisation from a charter and a history. Running it again with the same
/// files changes nothing. With --node, create a member state's node instead: the charter
/// only; the registry and the history come from the secretariat's node.
#[derive(Debug, clap::Args)]
pub struct Init {
    #[command(flatten)]
    files: DataFiles,
    /// The member state whose crisis centre runs this node (KAZ).
    #[arg(long, requires_all = ["secretariat_log_key", "secretariat_node_key"])]
    node: Option<concord_core::MemberCode>,
    /// The secretariat's log key (`GET /api/v1/ledger/key` on its node), trusted to
    /// bring this node the registry.
    #[arg(long, requires = "node")]
    secretariat_log_key: Option<String>,
    /// The secretariat's node key (`GET /api/v1/federation/node`), which its node
    /// presents over TLS.
    #[arg(long, requires = "node")]
    secretariat_node_key: Option<String>,
}

impl Init {
    /// Loads the files into the database, once.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let files = self.files.load()?;
        let store = database::open(database).await?;
        let shown = database::redact(database);
        let node = match (
            self.node,
            self.secretariat_log_key,
            self.secretariat_node_key,
        ) {
            (Some(state), Some(key), Some(node_key)) => {
                concord_ledger::checkpoint::verifier_origin(&key)
                    .context("--secretariat-log-key is not a log's verifier key")?;
                concord_ledger::signature::PublicKey::parse(&node_key)
                    .context("--secretariat-node-key is not an Ed25519 key")?;
                Some(concord_core::federation::NodeOf {
                    state,
                    secretariat_log_key: key,
                    secretariat_node_key: node_key,
                })
            }
            _ => None,
        };
        match concord_store::init::init_node(store.as_ref(), &files.as_init(), node.as_ref())
            .await?
        {
            InitOutcome::Created { events } => match &node {
                Some(node) => println!(
                    "initialised {shown} as {}'s node from {}: {events} events recorded; the registry and the history come from the secretariat's node",
                    node.state, files.charter_name
                ),
                None => println!(
                    "initialised {shown} from {} and {}: {events} events recorded",
                    files.charter_name, files.history_name
                ),
            },
            InitOutcome::AlreadyLoaded => {
                println!("{shown} already holds these files: nothing changed")
            }
        }
        Ok(())
    }
}

/// The data files to load: the built-in demo data unless files are given.
#[derive(Debug, clap::Args)]
pub struct DataFiles {
    /// Charter file (TOML); the built-in demo charter if not given.
    #[arg(long)]
    charter: Option<PathBuf>,
    /// History file (TOML); the built-in demo history if neither it nor --charter is given.
    #[arg(long, conflicts_with = "no_history")]
    history: Option<PathBuf>,
    /// Load no history: only the charter.
    #[arg(long)]
    no_history: bool,
}

/// The data files read, with the names they are reported by.
pub struct LoadedFiles {
    /// The charter's file name (or the demo's).
    pub charter_name: String,
    charter: String,
    /// The history's file name (or the demo's, or `(none)`).
    pub history_name: String,
    history: String,
}

impl DataFiles {
    /// Reads the files (or takes the demo data).
    pub fn load(&self) -> anyhow::Result<LoadedFiles> {
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
        };
        let (charter_name, charter) = match &self.charter {
            Some(p) => (p.display().to_string(), read(p)?),
            None => (
                demo::files().charter_name.to_owned(),
                demo::CHARTER.to_owned(),
            ),
        };
        let (history_name, history) = match (&self.history, self.no_history, &self.charter) {
            (_, true, _) => ("(none)".to_owned(), String::new()),
            (Some(p), _, _) => (p.display().to_string(), read(p)?),
            // A charter of one's own with the demo history would mix two organisations.
            (None, _, Some(_)) => ("(none)".to_owned(), String::new()),
            (None, _, None) => (
                demo::files().history_name.to_owned(),
                demo::HISTORY.to_owned(),
            ),
        };
        Ok(LoadedFiles {
            charter_name,
            charter,
            history_name,
            history,
        })
    }
}

impl LoadedFiles {
    /// The files as `concord_store::init` takes them.
    pub fn as_init(&self) -> InitFiles<'_> {
        InitFiles {
            charter_name: &self.charter_name,
            charter: &self.charter,
            history_name: &self.history_name,
            history: &self.history,
        }
    }
}
