//! `concord keys`: signing keys of member delegations and the secretariat — made,
//! registered for a period (rotating the one before), listed, exported for offline checks.

use std::path::PathBuf;

use clap::Subcommand;
use concord_core::date::parse_day;
use concord_core::event::Event;
use concord_core::keys::{KeyOwner, KeyRegistration};

use super::print_json;
use crate::database;

/// Key operations.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make an Ed25519 key: OWNER-ID.key (secret, owner-only) and OWNER-ID.pub.
    Generate {
        /// A member's code (KAZ) or `secretariat`.
        #[arg(long)]
        owner: KeyOwner,
        /// Folder to write to.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Register a public key (a `.pub` file) for a period; the owner's current key then
    /// ends the day before (rotation). Old signatures stay verifiable.
    Register {
        /// The `.pub` file.
        file: PathBuf,
        /// First valid day (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        from: time::Date,
        /// Last valid day, if known.
        #[arg(long, value_parser = parse_day)]
        until: Option<time::Date>,
    },
    /// The registered keys.
    List {
        /// Print JSON, as `GET /api/v1/keys`.
        #[arg(long)]
        json: bool,
    },
    /// Write every registered public key and the log's verifier key to a folder, for
    /// `concord verify --keys`.
    Export {
        /// The folder.
        dir: PathBuf,
        /// The ledger's signing key.
        #[arg(long, env = "CONCORD_LOG_KEY", default_value = "concord-log.key")]
        log_key: PathBuf,
    },
}

impl KeysCommand {
    /// Carries out the key operation.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        keys(database, self).await
    }
}

async fn keys(database: &str, what: KeysCommand) -> anyhow::Result<()> {
    match what {
        KeysCommand::Generate { owner, out } => {
            let (secret, public) = crate::keys::generate(owner, &out)?;
            println!(
                "generated a key for {owner}:\n  secret: {} (readable by you only; never share it)\n  public: {} (register it with `concord keys register`)",
                secret.display(),
                public.display()
            );
            Ok(())
        }
        KeysCommand::Register { file, from, until } => {
            let public = crate::keys::read_public(&file)?;
            let store = database::open(database).await?;
            let events = concord_store::council::register_key(
                store.as_ref(),
                KeyRegistration {
                    key_id: public.key_id,
                    owner: public.owner,
                    public_key: public.public_key,
                    valid_from: from,
                    valid_until: until,
                    demo: false,
                },
            )
            .await?;
            for event in events {
                match event {
                    Event::KeyRetired(r) => println!(
                        "key {} now ends on {} (rotated out; what it signed stays verifiable)",
                        r.key_id, r.valid_until
                    ),
                    Event::KeyRegistered(k) => println!(
                        "registered key {} for {}, valid {}",
                        k.key_id,
                        k.owner,
                        k.period()
                    ),
                    _ => {}
                }
            }
            Ok(())
        }
        KeysCommand::List { json } => {
            let store = database::open(database).await?;
            let keys = store.keys().await?;
            if json {
                return print_json(&keys);
            }
            for k in keys {
                println!(
                    "{:<12} {}  valid {}{}",
                    k.owner.to_string(),
                    k.key_id,
                    k.period(),
                    if k.demo {
                        "  (demo key made by init)"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        KeysCommand::Export { dir, log_key } => {
            let store = database::open(database).await?;
            let log_key = super::node_log_key(store.as_ref(), &log_key).await?;
            let keys = store.keys().await?;
            let nodes = store.nodes().await?;
            crate::keys::export(&keys, &nodes, log_key.verifier_key(), &dir)?;
            println!(
                "wrote {} keys, {} nodes and the log's verifier key to {}",
                keys.len(),
                nodes.len(),
                dir.display()
            );
            Ok(())
        }
    }
}
