//! `concord council`, `concord bundle` and `concord verify`: the council's procedure on
//! the command line, each step signed with a key file; bundles out; offline verification.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use concord_core::bundle::{self, Bundle};
use concord_core::code::{MemberCode, Slug};
use concord_core::consensus::{Position, Stance};
use concord_core::council::{
    AgendaItem, AttendanceRecord, Circulate, Command, Decide, Draft, OpenSession, Revision,
    SignedCommand,
};
use concord_core::date::parse_day;
use concord_core::history::Attendance;
use concord_core::text::Text;
use concord_store::Store;
use concord_store::council as app;

/// A step of the council's procedure.
#[derive(Debug, Subcommand)]
pub enum CouncilStep {
    /// Open a session; the chair follows from the rotation.
    Open {
        /// Identifier (e.g. csc-2026-11-24).
        #[arg(long)]
        id: Slug,
        /// The body (e.g. csc).
        #[arg(long)]
        body: Slug,
        /// The day (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        date: time::Date,
        /// City, in English.
        #[arg(long)]
        city_en: String,
        /// City, in Russian.
        #[arg(long)]
        city_ru: String,
        /// Host state.
        #[arg(long)]
        country: MemberCode,
        /// Confidential: the session and its documents are read by member states and the
        /// secretariat only.
        #[arg(long)]
        confidential: bool,
    },
    /// Add the next agenda item.
    Agenda {
        /// Session.
        #[arg(long)]
        session: Slug,
        /// Its number (the next one).
        #[arg(long)]
        number: u32,
        /// Title in English.
        #[arg(long)]
        en: String,
        /// Title in Russian.
        #[arg(long)]
        ru: String,
    },
    /// Record a member's attendance.
    Attend {
        /// Session.
        #[arg(long)]
        session: Slug,
        /// Member.
        #[arg(long)]
        member: MemberCode,
        /// present, present-by-video, absent-agreed, absent or frozen.
        #[arg(long, value_parser = parse_attendance)]
        attendance: Attendance,
    },
    /// Draft a document: its first version.
    Draft {
        /// Identifier.
        #[arg(long)]
        id: Slug,
        /// Session.
        #[arg(long)]
        session: Slug,
        /// Type, from the charter (declaration, statement, decision...).
        #[arg(long = "type")]
        doc_type: Slug,
        /// Title in English.
        #[arg(long)]
        title_en: String,
        /// Title in Russian.
        #[arg(long)]
        title_ru: String,
        /// Text in English.
        #[arg(long)]
        text_en: String,
        /// Text in Russian.
        #[arg(long)]
        text_ru: String,
    },
    /// A new version: voids every earlier agreement.
    Revise {
        /// Document.
        #[arg(long)]
        document: Slug,
        /// The new version's number.
        #[arg(long)]
        version: u32,
        /// Text in English.
        #[arg(long)]
        text_en: String,
        /// Text in Russian.
        #[arg(long)]
        text_ru: String,
    },
    /// Circulate the latest version for agreement.
    Circulate {
        /// Document.
        #[arg(long)]
        document: Slug,
        /// Version.
        #[arg(long)]
        version: u32,
    },
    /// A member's position on the version under agreement, signed by its key.
    Position {
        /// Document.
        #[arg(long)]
        document: Slug,
        /// agree, object or no-interest.
        #[arg(long, value_enum)]
        stance: StanceArg,
        /// Why it objects.
        #[arg(long)]
        reason: Option<String>,
        /// Who signs (the head of delegation).
        #[arg(long)]
        signatory: Option<String>,
    },
    /// Apply the body's rule.
    Decide {
        /// Document.
        #[arg(long)]
        document: Slug,
        /// Apply the body's urgent (fast-track) rule.
        #[arg(long)]
        urgent: bool,
    },
}

/// A stance, as written on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StanceArg {
    /// Agree.
    Agree,
    /// Object (give --reason).
    Object,
    /// Declare no interest.
    NoInterest,
}

fn parse_attendance(s: &str) -> Result<Attendance, String> {
    Attendance::parse(s).ok_or_else(|| {
        format!("`{s}`: one of present, present-by-video, absent-agreed, absent, frozen")
    })
}

/// The command a step stands for. A position names the version under agreement and its
/// hash, read from the store: the member signs exactly that text.
async fn command(step: CouncilStep, store: &dyn Store, owner: &str) -> anyhow::Result<Command> {
    Ok(match step {
        CouncilStep::Open {
            id,
            body,
            date,
            city_en,
            city_ru,
            country,
            confidential,
        } => Command::OpenSession(OpenSession {
            id,
            body,
            date,
            city: Text::new(city_en, city_ru),
            country,
            venue: None,
            formats: vec![],
            confidential,
        }),
        CouncilStep::Agenda {
            session,
            number,
            en,
            ru,
        } => Command::AddAgendaItem(AgendaItem {
            session,
            number,
            title: Text::new(en, ru),
        }),
        CouncilStep::Attend {
            session,
            member,
            attendance,
        } => Command::RecordAttendance(AttendanceRecord {
            session,
            member,
            attendance,
        }),
        CouncilStep::Draft {
            id,
            session,
            doc_type,
            title_en,
            title_ru,
            text_en,
            text_ru,
        } => Command::DraftDocument(Draft {
            id,
            session,
            doc_type,
            title: Text::new(title_en, title_ru),
            text: Text::new(text_en, text_ru),
        }),
        CouncilStep::Revise {
            document,
            version,
            text_en,
            text_ru,
        } => Command::ReviseDocument(Revision {
            document,
            version,
            title: None,
            text: Text::new(text_en, text_ru),
        }),
        CouncilStep::Circulate { document, version } => {
            Command::Circulate(Circulate { document, version })
        }
        CouncilStep::Position {
            document,
            stance,
            reason,
            signatory,
        } => {
            let file = app::document_file(store, document.as_str())
                .await?
                .with_context(|| format!("no document `{document}`"))?;
            let circulated = file
                .under_agreement()
                .with_context(|| format!("no version of {document} is under agreement"))?;
            let member: MemberCode = owner.parse().map_err(|_| {
                anyhow::anyhow!("a position is signed with a member's key, not the {owner}'s")
            })?;
            Command::RecordPosition(Position {
                document,
                version: circulated.version,
                hash: circulated.hash.clone(),
                member,
                stance: match stance {
                    StanceArg::Agree => Stance::Agree,
                    StanceArg::Object => Stance::Object,
                    StanceArg::NoInterest => Stance::NoInterest,
                },
                reason,
                signatory,
                signed_on: time::OffsetDateTime::now_utc().date(),
            })
        }
        CouncilStep::Decide { document, urgent } => Command::Decide(Decide { document, urgent }),
    })
}

/// Signs the step with the key file and carries it out on the database; or, with
/// `print_only`, prints the signed command (to send to `POST /api/v1/council/commands`).
pub async fn run(
    store: &dyn Store,
    key_path: &Path,
    step: CouncilStep,
    print_only: bool,
) -> anyhow::Result<()> {
    let (secret, owner) = crate::keys::read_secret(key_path)?;
    let command = command(step, store, &owner.to_string()).await?;
    sign_and_record(store, &secret, owner, command, print_only).await
}

/// Signs `command` with `secret` and carries it out on the database; or, with
/// `print_only`, prints the signed command (to send to the HTTP API).
pub async fn sign_and_record(
    store: &dyn Store,
    secret: &concord_ledger::signature::SecretKey,
    owner: concord_core::keys::KeyOwner,
    command: Command,
    print_only: bool,
) -> anyhow::Result<()> {
    let origin = concord_store::queries::origin(store).await?;
    let signed = SignedCommand::sign(secret, &origin, command, time::OffsetDateTime::now_utc());
    if print_only {
        println!("{}", serde_json::to_string_pretty(&signed)?);
        return Ok(());
    }
    let done = app::execute(store, &signed, time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| match e {
            app::CommandError::Council(c) => anyhow::anyhow!("refused ({}): {c}", c.rule()),
            other => other.into(),
        })?;
    let kinds: Vec<&str> = done.events.iter().map(|e| e.kind()).collect();
    println!(
        "{} signed by {owner} (key {}): recorded {} at ledger leaf {}",
        signed.command.action(),
        signed.seal.key,
        kinds.join(", "),
        done.last_leaf
    );
    Ok(())
}

/// Writes the bundle of a decided document as canonical JSON.
pub async fn export(
    store: &dyn Store,
    log_key: &concord_ledger::checkpoint::LogKey,
    document: &str,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let bundle = app::bundle(store, log_key, document).await?;
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

/// Verifies a bundle file offline against an exported key folder; fails naming every
/// check that failed.
pub fn verify(file: &Path, keys: &Path) -> anyhow::Result<()> {
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
