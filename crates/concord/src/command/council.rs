//! `concord council`: the council's procedure on the command line, each step signed with a
//! key file and recorded (or printed, for the HTTP API).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
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

/// A step of the council's procedure, signed with a key file and recorded.
#[derive(Debug, clap::Args)]
pub struct Council {
    /// The signing key (a `.key` file from `concord keys generate`).
    #[arg(long, env = "CONCORD_KEY")]
    key: PathBuf,
    /// Print the signed command (for `POST /api/v1/council/commands`) instead of
    /// recording it.
    #[arg(long)]
    print: bool,
    #[command(subcommand)]
    step: CouncilStep,
}

impl Council {
    /// Signs the step and records it (or prints it).
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = crate::database::open(database).await?;
        record(store.as_ref(), &self.key, self.step, self.print).await
    }
}

/// Signs the step with the key file and carries it out on the database; or, with
/// `print_only`, prints the signed command (to send to `POST /api/v1/council/commands`).
async fn record(
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
