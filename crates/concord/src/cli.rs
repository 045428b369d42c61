//! The command line: what each command takes and does.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use concord_core::date::parse_day;
use concord_core::event::Event;
use concord_core::keys::{KeyOwner, KeyRegistration};
use concord_store::SessionFilter;
use concord_store::init::{InitFiles, InitOutcome, init, prepare};
use concord_store::queries;
use serde::Serialize;

use crate::{database, demo, output};

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
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, env = "CONCORD_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Do not load the demo data into an empty database.
        #[arg(long)]
        no_demo: bool,
        /// The ledger's signing key (created, owner-only, if missing).
        #[arg(long, env = "CONCORD_LOG_KEY", default_value = "concord-log.key")]
        log_key: PathBuf,
        /// Memory for the in-memory copy of the ledger's hashes that serves proofs
        /// (about 64 bytes a ledger entry; 0 turns it off).
        #[arg(long, env = "CONCORD_LEDGER_CACHE_MB", default_value_t = 1024)]
        ledger_cache_mb: usize,
        #[command(flatten)]
        federation: crate::nodes::FederationArgs,
    },
    /// Create the organisation from a charter and a history. Running it again with the
    /// same files changes nothing. With --node, create a member state's node instead: the
    /// charter only; the registry and the history come from the secretariat's node.
    Init {
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
    },
    /// The federation's nodes: register one (on the secretariat's node), list them.
    Nodes {
        #[command(subcommand)]
        what: crate::nodes::NodesCommand,
    },
    /// Sync with other nodes without the server: pull once, or carry a file.
    Sync {
        #[command(subcommand)]
        what: crate::nodes::SyncCommand,
    },
    /// Check a charter and a history without touching any database.
    Check {
        #[command(flatten)]
        files: DataFiles,
    },
    /// The member states and their status on a day.
    Members {
        /// The day (YYYY-MM-DD); today if not given.
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        print: Print,
    },
    /// Who chairs: in one year, or in each year of a range.
    Chair {
        /// One year.
        #[arg(long, conflicts_with_all = ["from", "to"])]
        year: Option<i32>,
        /// First year of a range.
        #[arg(long, requires = "to")]
        from: Option<i32>,
        /// Last year of a range.
        #[arg(long, requires = "from")]
        to: Option<i32>,
        #[command(flatten)]
        print: Print,
    },
    /// Measure performance through the real store and print the figures.
    Bench {
        #[command(subcommand)]
        what: crate::bench_command::BenchTarget,
    },
    /// Re-hash the whole ledger from its entries and check every stored hash and the root.
    Audit {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Signing keys of member delegations and the secretariat.
    Keys {
        #[command(subcommand)]
        what: KeysCommand,
    },
    /// API tokens for programs (each stands for one holder's officials in one role).
    Tokens {
        #[command(subcommand)]
        what: TokensCommand,
    },
    /// A step of the council's procedure, signed with a key file and recorded.
    Council {
        /// The signing key (a `.key` file from `concord keys generate`).
        #[arg(long, env = "CONCORD_KEY")]
        key: PathBuf,
        /// Print the signed command (for `POST /api/v1/council/commands`) instead of
        /// recording it.
        #[arg(long)]
        print: bool,
        #[command(subcommand)]
        step: crate::council::CouncilStep,
    },
    /// A step of the organisation's year (programmes, budget, quota posts, the chair's
    /// priorities and report), signed with a key file and recorded.
    Year {
        /// The signing key.
        #[arg(long, env = "CONCORD_KEY")]
        key: PathBuf,
        /// Print the signed command instead of recording it.
        #[arg(long)]
        print: bool,
        #[command(subcommand)]
        step: crate::year::YearStep,
    },
    /// Who holds each post on a day: the charter's rule and the recorded holders, and the
    /// quota posts of the period.
    Posts {
        /// The day (YYYY-MM-DD); today if absent.
        #[arg(long, value_parser = concord_core::date::parse_day)]
        at: Option<time::Date>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Programmes and action plans with their items and progress.
    Programmes {
        /// The day they stand on (YYYY-MM-DD); today if absent.
        #[arg(long, value_parser = concord_core::date::parse_day)]
        at: Option<time::Date>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A year's budget: contributions, payments, arrears.
    Budget {
        /// The budget year.
        #[arg(long)]
        year: i32,
        /// The day the accounts stand on (YYYY-MM-DD); today if absent.
        #[arg(long, value_parser = concord_core::date::parse_day)]
        at: Option<time::Date>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The chair's annual report of a year, generated from the record.
    Report {
        /// The year.
        #[arg(long)]
        year: i32,
        /// Only the public part.
        #[arg(long)]
        public: bool,
        /// The PDF's language: en or ru.
        #[arg(long, default_value = "en", value_parser = ["en", "ru"])]
        lang: String,
        /// Write the PDF here.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// People's accounts for the console.
    Users {
        #[command(subcommand)]
        what: crate::users::UsersCommand,
    },
    /// Incident reports: report one signed, list them.
    Incidents {
        #[command(subcommand)]
        what: crate::incidents::IncidentsCommand,
    },
    /// Alerts (CAP 1.2): import signed, list, export.
    Alerts {
        #[command(subcommand)]
        what: crate::alerts::AlertsCommand,
    },
    /// Bundles of decided documents.
    Bundle {
        #[command(subcommand)]
        what: BundleCommand,
    },
    /// Verify a document bundle offline against an exported key folder.
    Verify {
        /// The bundle file.
        file: PathBuf,
        /// Folder written by `concord keys export`.
        #[arg(long)]
        keys: PathBuf,
    },
    /// Council sessions with attendance and documents.
    Sessions {
        /// Only this calendar year.
        #[arg(long)]
        year: Option<i32>,
        /// Only this body (e.g. csc).
        #[arg(long)]
        body: Option<String>,
        #[command(flatten)]
        print: Print,
    },
}

/// Key operations.
#[derive(Debug, Subcommand)]
enum KeysCommand {
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

/// Token operations.
#[derive(Debug, Subcommand)]
enum TokensCommand {
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

/// Bundle operations.
#[derive(Debug, Subcommand)]
enum BundleCommand {
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

/// The data files to load: the built-in demo data unless files are given.
#[derive(Debug, clap::Args)]
struct DataFiles {
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

struct LoadedFiles {
    charter_name: String,
    charter: String,
    history_name: String,
    history: String,
}

impl DataFiles {
    fn load(&self) -> anyhow::Result<LoadedFiles> {
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
    fn as_init(&self) -> InitFiles<'_> {
        InitFiles {
            charter_name: &self.charter_name,
            charter: &self.charter,
            history_name: &self.history_name,
            history: &self.history,
        }
    }
}

pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Check { files } => {
            let files = files.load()?;
            let (events, mark) = prepare(&files.as_init())?;
            println!(
                "{} and {} are valid: {} events, sha256 {}",
                files.charter_name,
                files.history_name,
                events.len(),
                mark.sha256
            );
            Ok(())
        }
        Command::Init {
            files,
            node,
            secretariat_log_key,
            secretariat_node_key,
        } => {
            let files = files.load()?;
            let store = database::open(&cli.database).await?;
            let shown = database::redact(&cli.database);
            let node = match (node, secretariat_log_key, secretariat_node_key) {
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
        Command::Serve {
            listen,
            no_demo,
            log_key,
            ledger_cache_mb,
            federation,
        } => {
            serve(
                &cli.database,
                listen,
                no_demo,
                &log_key,
                ledger_cache_mb,
                federation,
            )
            .await
        }
        Command::Nodes { what } => crate::nodes::nodes(&cli.database, what).await,
        Command::Sync { what } => crate::nodes::sync(&cli.database, what).await,
        Command::Members { date, print } => {
            let day = match date {
                Some(d) => parse_day(&d)?,
                None => time::OffsetDateTime::now_utc().date(),
            };
            let store = database::open(&cli.database).await?;
            let charter = queries::charter(store.as_ref()).await?;
            let members = queries::members(store.as_ref(), &charter, day).await?;
            if print.json {
                print_json(&members)
            } else {
                output::members(&members, day, print.lang);
                Ok(())
            }
        }
        Command::Chair {
            year,
            from,
            to,
            print,
        } => {
            let store = database::open(&cli.database).await?;
            let charter = queries::charter(store.as_ref()).await?;
            let this_year = time::OffsetDateTime::now_utc().year();
            let (from, to) = match (year, from, to) {
                (Some(y), _, _) => (y, y),
                (None, Some(f), Some(t)) => (f, t),
                _ => (this_year, this_year),
            };
            let chairs = queries::chairmanships(store.as_ref(), &charter, from, to).await?;
            match (print.json, from == to) {
                (true, true) => print_json(&chairs[0]),
                (true, false) => print_json(&chairs),
                (false, _) => {
                    output::chairs(&chairs, print.lang);
                    Ok(())
                }
            }
        }
        Command::Bench { what } => crate::bench_command::run(what, &cli.database).await,
        Command::Audit { json } => {
            let store = database::open(&cli.database).await?;
            let bar = indicatif::ProgressBar::new(store.ledger_size().await?);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "auditing {bar:40} {pos}/{len} entries ({per_sec})",
                )
                .expect("a valid template"),
            );
            let report =
                concord_store::ledger::audit(store.as_ref(), |done, _| bar.set_position(done))
                    .await;
            bar.finish_and_clear();
            let report = report?;
            let root = concord_ledger::proof::B64(report.root);
            if json {
                print_json(
                    &serde_json::json!({ "entries": report.entries, "hashes": report.hashes, "signatures": report.signatures, "root": root, "ok": true }),
                )
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
        Command::Keys { what } => keys(&cli.database, what).await,
        Command::Tokens { what } => tokens(&cli.database, what).await,
        Command::Council { key, print, step } => {
            let store = database::open(&cli.database).await?;
            crate::council::run(store.as_ref(), &key, step, print).await
        }
        Command::Year { key, print, step } => {
            let store = database::open(&cli.database).await?;
            crate::year::run(store.as_ref(), &key, step, print).await
        }
        Command::Posts { at, json } => {
            let store = database::open(&cli.database).await?;
            let at = at.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
            crate::year::posts(store.as_ref(), at, json).await
        }
        Command::Programmes { at, json } => {
            let store = database::open(&cli.database).await?;
            let at = at.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
            crate::year::programmes(store.as_ref(), at, json).await
        }
        Command::Budget { year, at, json } => {
            let store = database::open(&cli.database).await?;
            let at = at.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
            crate::year::budget(store.as_ref(), year, at, json).await
        }
        Command::Report {
            year,
            public,
            lang,
            pdf,
            json,
        } => {
            let store = database::open(&cli.database).await?;
            crate::year::report(store.as_ref(), year, public, &lang, pdf, json).await
        }
        Command::Users { what } => {
            let store = database::open(&cli.database).await?;
            crate::users::run(store.as_ref(), what).await
        }
        Command::Incidents { what } => {
            let store = database::open(&cli.database).await?;
            crate::incidents::run(store.as_ref(), what).await
        }
        Command::Alerts { what } => {
            let store = database::open(&cli.database).await?;
            crate::alerts::run(store.as_ref(), what).await
        }
        Command::Bundle {
            what:
                BundleCommand::Export {
                    document,
                    out,
                    log_key,
                },
        } => {
            let store = database::open(&cli.database).await?;
            let log_key = node_log_key(store.as_ref(), &log_key).await?;
            crate::council::export(store.as_ref(), &log_key, &document, out).await
        }
        Command::Verify { file, keys } => crate::council::verify(&file, &keys),
        Command::Sessions { year, body, print } => {
            let store = database::open(&cli.database).await?;
            let sessions = queries::sessions(store.as_ref(), &SessionFilter { year, body }).await?;
            if print.json {
                print_json(&sessions)
            } else {
                output::sessions(&sessions, print.lang);
                Ok(())
            }
        }
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
            let log_key = node_log_key(store.as_ref(), &log_key).await?;
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

async fn serve(
    address: &str,
    listen: SocketAddr,
    no_demo: bool,
    key_path: &std::path::Path,
    ledger_cache_mb: usize,
    federation: crate::nodes::FederationArgs,
) -> anyhow::Result<()> {
    let store = database::open(address).await?;
    store
        .hash_cache()
        .set_mirror_budget(ledger_cache_mb.saturating_mul(1 << 20));
    let shown = database::redact(address);
    if store.charter().await?.is_none() {
        if no_demo {
            anyhow::bail!(
                "{shown} has no charter: run `concord init` first, or serve without --no-demo"
            );
        }
        if let InitOutcome::Created { events } = init(store.as_ref(), &demo::files()).await? {
            tracing::info!(events, "loaded the built-in demo charter and history");
        }
    }
    let deployment = concord_store::council::Deployment::read(store.as_ref()).await?;
    let (log_key, created) = crate::log_key::load_or_create(key_path, &deployment.origin)?;
    if created {
        announce(&format!(
            "Generated the ledger's signing key at {} (readable by you only). Verifier key: {}",
            key_path.display(),
            log_key.verifier_key()
        ));
    }
    // Proofs then read only the tree's lowest levels from the database.
    let warming = store.clone();
    tokio::spawn(async move {
        match concord_store::ledger::warm(warming.as_ref()).await {
            Ok(n) => tracing::debug!(hashes = n, "ledger hash cache warmed"),
            Err(e) => tracing::warn!(error = %e, "could not warm the ledger hash cache"),
        }
    });
    // Listen before opening any account: a server that cannot start must not open the
    // administrator's account and lose its password.
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let bound = listener.local_addr()?;
    // Whoever reads our output may go away (`concord serve | head -1`): the server keeps
    // running, so these lines must not fail.
    announce(&format!(
        "Concord is serving {} at http://{bound}/ (database: {shown})\n  try: curl http://{bound}/api/v1/chairmanships?from=2017&to=2025",
        deployment.charter.organisation.abbreviation.en
    ));
    // The first start of a database with no account opens the administrator's, and says
    // its password this once.
    if store.accounts().await?.is_empty() {
        let password = concord_store::accounts::generate_password();
        let account = concord_core::accounts::Account {
            username: "admin".into(),
            name: "Administrator".into(),
            affiliation: concord_core::accounts::Affiliation::Secretariat,
            roles: vec![
                concord_core::accounts::Role::Administrator,
                concord_core::accounts::Role::SecretariatOfficer,
            ],
            language: concord_core::accounts::Language::Ru,
            opened_on: time::OffsetDateTime::now_utc().date(),
        };
        match concord_store::accounts::open(store.as_ref(), account, &password, "operator").await {
            Ok(()) => announce(&format!(
                "The console's administrator: sign in at http://{bound}/login as `admin` with password {password}\n  (shown this once; change it with `concord users password admin`)"
            )),
            // Another node opened it first.
            Err(concord_store::accounts::AccountOpError::Exists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // A server takes part in a federation when it serves other nodes or pulls from them;
    // alone, it makes no node key and records nothing more.
    let federated = federation.federation_listen.is_some() || !federation.peers.is_empty();
    let state = if federated {
        crate::nodes::federate(store, deployment, log_key, federation).await?
    } else {
        concord_server::AppState::new(store, deployment, log_key)
    };
    // On Ctrl-C or SIGTERM: stop accepting, end the live streams, let requests in flight
    // finish, but no longer than SHUTDOWN_GRACE.
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server = concord_server::serve(listener, state, async move {
        shutdown_signal().await;
        let _ = signalled_tx.send(());
    });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        _ = async {
            let _ = signalled_rx.await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => announce("Requests were still running after the grace period: stopping anyway."),
    }
    announce("Concord stopped.");
    Ok(())
}

/// How long requests in flight may run on after a shutdown signal.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Prints a line to stdout, ignoring a closed or broken stdout.
pub(crate) fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
