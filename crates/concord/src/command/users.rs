//! `concord users`: people's accounts for the console, managed by the operator (recorded
//! on the ledger as `by: operator`).

use std::io::Read;

use anyhow::Context;
use clap::Subcommand;
use concord_core::accounts::{Account, Affiliation, Language, Role};
use concord_store::Store;
use concord_store::accounts as app;

/// Account operations.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Open an account. Its password is generated and printed once, or read from standard
    /// input with --password-stdin.
    Add {
        /// What they sign in with (lowercase letters, digits, `.`, `_`, `-`).
        #[arg(long)]
        username: String,
        /// Their name.
        #[arg(long)]
        name: String,
        /// Whom they belong to: a state's code (KAZ), `secretariat` or `public`.
        #[arg(long)]
        affiliation: Affiliation,
        /// A role (repeat for several): head-of-delegation, foreign-ministry-officer,
        /// duty-officer, crisis-centre-analyst, secretariat-officer, press-officer,
        /// auditor, administrator.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// The console's language for them: ru or en.
        #[arg(long, default_value = "ru")]
        language: Language,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// The accounts.
    List,
    /// Give an account new roles (they replace the old ones).
    Roles {
        /// The account.
        username: String,
        /// Its roles from now on.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
    },
    /// Set a new password (generated and printed once, or from standard input); ends the
    /// account's sessions.
    Password {
        /// The account.
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Close an account: it signs in no more, and its sessions end.
    Close {
        /// The account.
        username: String,
    },
}

/// A password to set: from standard input, or generated (and then to be shown once).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok((text.trim_end_matches(['\r', '\n']).to_owned(), false));
    }
    Ok((app::generate_password(), true))
}

/// Carries out an account operation.
pub async fn run(store: &dyn Store, what: UsersCommand) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    match what {
        UsersCommand::Add {
            username,
            name,
            affiliation,
            roles,
            language,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            let account = Account {
                username: username.clone(),
                name,
                affiliation,
                roles,
                language,
                opened_on: now.date(),
            };
            app::open(store, account, &password, "operator").await?;
            println!("opened account {username}");
            if generated {
                println!("password (shown this once): {password}");
            }
        }
        UsersCommand::List => {
            for (a, closed) in store.accounts().await? {
                let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<20} {:<12} {:<3} {:<40} {}{}",
                    a.username,
                    a.affiliation.to_string(),
                    a.language.tag(),
                    roles.join(","),
                    a.name,
                    if closed { "  CLOSED" } else { "" }
                );
            }
        }
        UsersCommand::Roles { username, roles } => {
            let account = app::change_roles(store, &username, roles, "operator", now).await?;
            let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
            println!("{username} is now {}", roles.join(", "));
        }
        UsersCommand::Password {
            username,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            app::set_password(store, &username, &password)
                .await
                .with_context(|| format!("cannot set {username}'s password"))?;
            println!("new password set for {username}; its sessions ended");
            if generated {
                println!("password (shown this once): {password}");
            }
        }
        UsersCommand::Close { username } => {
            app::close(store, &username, "operator", now).await?;
            println!("closed account {username}");
        }
    }
    Ok(())
}
