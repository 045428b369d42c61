//! The command line: `concord <command>`, one file a command (each with its flags and what
//! it does); this module only names them and sends each to its file.

mod alerts;
mod audit;
mod bench;
mod budget;
mod bundle;
mod chair;
mod check;
mod council;
mod incidents;
mod init;
mod keys;
mod members;
mod nodes;
mod posts;
mod programmes;
mod report;
pub mod serve;
mod sessions;
mod sync;
mod tokens;
mod users;
mod verify;
mod year;

use clap::{Parser, Subcommand, ValueEnum};
use concord_store::queries;
use serde::Serialize;

use crate::database;

/// Concord: the information system of a collective-security organisation.
#[derive(Debug, Parser)]
#[command(name = "concord", version)]
pub struct Cli {
    /// The database: `sqlite://FILE` or a file path (SQLite, the default), or
    /// `postgres://USER@HOST/DB` (PostgreSQL).
    #[arg(
        long,
        global = true,
        env = "CONCORD_DATABASE",
        default_value = "sqlite://concord.db"
    )]
    database: String,

    #[command(subcommand)]
    command: Command,
}

/// Language of human-readable output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// English.
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// The language tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }
}

/// How read commands print.
#[derive(Debug, clap::Args)]
struct Print {
    /// Print JSON, exactly as the HTTP API answers.
    #[arg(long)]
    json: bool,
    /// Language of the table output.
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API. On an empty database, first load the built-in demo charter and
    /// history (unless --no-demo).
    Serve(serve::Serve),
    /// Create the organisation from a charter and a history. Running it again with the
    /// same files changes nothing. With --node, create a member state's node instead: the
    /// charter only; the registry and the history come from the secretariat's node.
    Init(init::Init),
    /// The federation's nodes: register one (on the secretariat's node), list them.
    Nodes {
        #[command(subcommand)]
        what: nodes::NodesCommand,
    },
    /// Sync with other nodes without the server: pull once, or carry a file.
    Sync {
        #[command(subcommand)]
        what: sync::SyncCommand,
    },
    /// Check a charter and a history without touching any database.
    Check(check::Check),
    /// The member states and their status on a day.
    Members(members::Members),
    /// Who chairs: in one year, or in each year of a range.
    Chair(chair::Chair),
    /// Measure performance through the real store and print the figures.
    Bench {
        #[command(subcommand)]
        what: bench::BenchTarget,
    },
    /// Re-hash the whole ledger from its entries and check every stored hash and the root.
    Audit(audit::Audit),
    /// Signing keys of member delegations and the secretariat.
    Keys {
        #[command(subcommand)]
        what: keys::KeysCommand,
    },
    /// API tokens for programs (each stands for one holder's officials in one role).
    Tokens {
        #[command(subcommand)]
        what: tokens::TokensCommand,
    },
    /// A step of the council's procedure, signed with a key file and recorded.
    Council(council::Council),
    /// A step of the organisation's year (programmes, budget, quota posts, the chair's
    /// priorities and report), signed with a key file and recorded.
    Year(year::Year),
    /// Who holds each post on a day: the charter's rule and the recorded holders, and the
    /// quota posts of the period.
    Posts(posts::Posts),
    /// Programmes and action plans with their items and progress.
    Programmes(programmes::Programmes),
    /// A year's budget: contributions, payments, arrears.
    Budget(budget::Budget),
    /// The chair's annual report of a year, generated from the record.
    Report(report::Report),
    /// People's accounts for the console.
    Users {
        #[command(subcommand)]
        what: users::UsersCommand,
    },
    /// Incident reports: report one signed, list them.
    Incidents {
        #[command(subcommand)]
        what: incidents::IncidentsCommand,
    },
    /// Alerts (CAP 1.2): import signed, list, export.
    Alerts {
        #[command(subcommand)]
        what: alerts::AlertsCommand,
    },
    /// Bundles of decided documents.
    Bundle {
        #[command(subcommand)]
        what: bundle::BundleCommand,
    },
    /// Verify a document bundle offline against an exported key folder.
    Verify(verify::Verify),
    /// Council sessions with attendance and documents.
    Sessions(sessions::Sessions),
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let database = cli.database.as_str();
    match cli.command {
        Command::Serve(serve) => serve.run(database).await,
        Command::Init(init) => init.run(database).await,
        Command::Nodes { what } => nodes::run(database, what).await,
        Command::Sync { what } => sync::run(database, what).await,
        Command::Check(check) => check.run(),
        Command::Members(members) => members.run(database).await,
        Command::Chair(chair) => chair.run(database).await,
        Command::Bench { what } => bench::run(what, database).await,
        Command::Audit(audit) => audit.run(database).await,
        Command::Keys { what } => what.run(database).await,
        Command::Tokens { what } => what.run(database).await,
        Command::Council(council) => council.run(database).await,
        Command::Year(year) => year.run(database).await,
        Command::Posts(posts) => posts.run(database).await,
        Command::Programmes(programmes) => programmes.run(database).await,
        Command::Budget(budget) => budget.run(database).await,
        Command::Report(report) => report.run(database).await,
        Command::Users { what } => users::run(database::open(database).await?.as_ref(), what).await,
        Command::Incidents { what } => {
            incidents::run(database::open(database).await?.as_ref(), what).await
        }
        Command::Alerts { what } => {
            alerts::run(database::open(database).await?.as_ref(), what).await
        }
        Command::Bundle { what } => what.run(database).await,
        Command::Verify(verify) => verify.run(),
        Command::Sessions(sessions) => sessions.run(database).await,
    }
}

/// Prints `value` as pretty JSON.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Today, in UTC: the day a command stands on when none is given.
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The ledger key the server signs with (created, owner-only, if this node has none yet,
/// as `serve` would).
async fn node_log_key(
    store: &dyn concord_store::Store,
    path: &std::path::Path,
) -> anyhow::Result<concord_ledger::checkpoint::LogKey> {
    let origin = queries::origin(store).await?;
    let (key, created) = crate::log_key::load_or_create(path, &origin)?;
    if created {
        eprintln!(
            "generated the ledger's signing key at {} (readable by you only)",
            path.display()
        );
    }
    Ok(key)
}

/// Prints a line to stdout, ignoring a closed or broken stdout.
pub(crate) fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
