//! `concord tokens`: API tokens for programs, each standing for one holder's officials in
//! one role; printed once, kept only as a hash.

use clap::Subcommand;
use concord_core::keys::KeyOwner;

use crate::database;

/// Token operations.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Issue a token; it is printed once and only its SHA-256 is kept.
    Issue {
        /// Whose officials it stands for: a state's code (KAZ) or `secretariat`.
        #[arg(long = "for")]
        holder: KeyOwner,
        /// Their role (duty-officer, crisis-centre-analyst, foreign-ministry-officer…).
        #[arg(long)]
        role: concord_core::code::Slug,
        /// What it is for.
        #[arg(long)]
        label: Option<String>,
    },
    /// The issued tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id.
    Revoke {
        /// The token's id (from `tokens list`).
        id: String,
    },
}

impl TokensCommand {
    /// Carries out the token operation.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        tokens(database, self).await
    }
}

async fn tokens(database: &str, what: TokensCommand) -> anyhow::Result<()> {
    let store = database::open(database).await?;
    let today = time::OffsetDateTime::now_utc().date();
    match what {
        TokensCommand::Issue {
            holder,
            role,
            label,
        } => {
            let (token, issued) =
                concord_store::council::issue_token(store.as_ref(), holder, role, label, today)
                    .await?;
            println!(
                "issued token {} for {} ({}). It is shown this once; Concord keeps only its hash:\n{token}",
                issued.id, issued.holder, issued.role
            );
        }
        TokensCommand::List => {
            for (t, revoked) in store.tokens().await? {
                println!(
                    "{}  {:<12} {:<24} issued {}{}{}",
                    t.id,
                    t.holder.to_string(),
                    t.role.to_string(),
                    t.issued_on,
                    t.label.map(|l| format!("  ({l})")).unwrap_or_default(),
                    if revoked { "  REVOKED" } else { "" }
                );
            }
        }
        TokensCommand::Revoke { id } => {
            if !concord_store::council::revoke_token(store.as_ref(), &id, today).await? {
                anyhow::bail!("no live token `{id}`: see `concord tokens list`");
            }
            println!("revoked token {id}");
        }
    }
    Ok(())
}
