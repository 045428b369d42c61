//! The council's procedure: open a session, set its agenda, record attendance, draft a
//! document, revise it, circulate a version, record each member's signed position, decide
//! by the body's rule.
//!
//! Every step is a [`Command`] signed by a registered key. [`Council::decide`] is a pure
//! function of the current state and the command: the events to store, or a
//! [`CouncilError`] naming the rule that refused it.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::charter::{Charter, DecisionRule};
use crate::code::{MemberCode, Slug};
use crate::consensus::{self, Ballot, Blocker, Outcome, Position, SignedPosition, Stance, Tally};
use crate::date;
use crate::event::Event;
use crate::history::{Attendance, Document, DocumentStatus, Session, SessionFormat, SessionStatus};
use crate::keys::{KeyOwner, KeyRegistration};
use crate::registry::{MemberStatus, StatusTimeline};
use crate::text::Text;
use concord_ledger::signature::{PublicKey, SignatureB64, canonical_sha256};

/// Opens a session of a body; the chair follows from the rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenSession {
    /// Identifier for the new session (`csc-2026-11-24`).
    pub id: Slug,
    /// The body meeting.
    pub body: Slug,
    /// The day.
    #[serde(with = "date::day")]
    pub date: Date,
    /// City.
    pub city: Text,
    /// Host state.
    pub country: MemberCode,
    /// Venue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<Text>,
    /// Formats.
    #[serde(default)]
    pub formats: Vec<SessionFormat>,
}

/// Adds an item at the end of a session's agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaItem {
    /// The session.
    pub session: Slug,
    /// The item, numbered from 1: says where it goes, so a replayed command is refused.
    pub number: u32,
    /// What it is.
    pub title: Text,
}

/// Records how a member stands towards a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRecord {
    /// The session.
    pub session: Slug,
    /// The member.
    pub member: MemberCode,
    /// Present, absent-agreed, absent or frozen.
    pub attendance: Attendance,
}

/// Drafts a new document for a session: its first version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// Identifier for the document.
    pub id: Slug,
    /// The session it goes before.
    pub session: Slug,
    /// Its type, from the charter.
    #[serde(rename = "type")]
    pub doc_type: Slug,
    /// Title.
    pub title: Text,
    /// Text.
    pub text: Text,
}

/// A new version of a document. It voids every position taken on earlier versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revision {
    /// The document.
    pub document: Slug,
    /// The new version's number (the next one): a replayed revision is refused.
    pub version: u32,
    /// A new title, if it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// The new text.
    pub text: Text,
}

/// Circulates a version for agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circulate {
    /// The document.
    pub document: Slug,
    /// The version (the latest).
    pub version: u32,
}

/// Applies the body's rule to the circulated version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    /// The document.
    pub document: Slug,
    /// Whether the body's urgent (fast-track) rule applies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub urgent: bool,
}

/// One step of the council's procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Command {
    /// Open a session.
    OpenSession(OpenSession),
    /// Add an agenda item.
    AddAgendaItem(AgendaItem),
    /// Record attendance.
    RecordAttendance(AttendanceRecord),
    /// Draft a document.
    DraftDocument(Draft),
    /// Revise a document.
    ReviseDocument(Revision),
    /// Circulate a version.
    Circulate(Circulate),
    /// A member's signed position.
    RecordPosition(Position),
    /// Decide.
    Decide(Decide),
}

/// A command with the signature of the key that issues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCommand {
    /// The command.
    pub command: Command,
    /// The signing key's identifier.
    pub key: String,
    /// Ed25519 signature, base64, over `concord-command-v1\n` and the command's RFC 8785
    /// canonical JSON.
    pub signature: String,
}

/// What a command acts on, so the edge knows which state to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A session.
    Session(Slug),
    /// A document.
    Document(Slug),
}

impl Subject {
    /// The subject's name in the event log (`session/…`, `document/…`).
    pub fn name(&self) -> String {
        match self {
            Subject::Session(id) => format!("session/{id}"),
            Subject::Document(id) => format!("document/{id}"),
        }
    }
}

impl Command {
    /// What the command acts on.
    pub fn subject(&self) -> Subject {
        match self {
            Command::OpenSession(c) => Subject::Session(c.id.clone()),
            Command::AddAgendaItem(c) => Subject::Session(c.session.clone()),
            Command::RecordAttendance(c) => Subject::Session(c.session.clone()),
            Command::DraftDocument(c) => Subject::Document(c.id.clone()),
            Command::ReviseDocument(c) => Subject::Document(c.document.clone()),
            Command::Circulate(c) => Subject::Document(c.document.clone()),
            Command::RecordPosition(c) => Subject::Document(c.document.clone()),
            Command::Decide(c) => Subject::Document(c.document.clone()),
        }
    }

    /// The session whose record the command needs (for a document: its session).
    pub fn session(&self) -> Option<&Slug> {
        match self {
            Command::AddAgendaItem(c) => Some(&c.session),
            Command::RecordAttendance(c) => Some(&c.session),
            Command::DraftDocument(c) => Some(&c.session),
            _ => None,
        }
    }

    /// The action's written name.
    pub fn action(&self) -> &'static str {
        match self {
            Command::OpenSession(_) => "open-session",
            Command::AddAgendaItem(_) => "add-agenda-item",
            Command::RecordAttendance(_) => "record-attendance",
            Command::DraftDocument(_) => "draft-document",
            Command::ReviseDocument(_) => "revise-document",
            Command::Circulate(_) => "circulate",
            Command::RecordPosition(_) => "record-position",
            Command::Decide(_) => "decide",
        }
    }
}

/// One version of a document: what is hashed, agreed and signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Version {
    /// The document.
    pub document: Slug,
    /// Version number, from 1.
    pub number: u32,
    /// Document type.
    #[serde(rename = "type")]
    pub doc_type: Slug,
    /// Title.
    pub title: Text,
    /// Text. Documents known only from the sources' lists have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
}

impl Version {
    /// SHA-256 of the version's RFC 8785 canonical JSON, hex.
    pub fn hash(&self) -> String {
        canonical_sha256(self)
    }
}

/// A version with its hash, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRecord {
    /// The version.
    pub version: Version,
    /// Its hash.
    pub hash: String,
}

/// A version sent to the members for agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circulation {
    /// The document.
    pub document: Slug,
    /// The version.
    pub version: u32,
    /// Its hash.
    pub hash: String,
    /// The day.
    #[serde(with = "date::day")]
    pub on: Date,
}

/// A decision: the rule, the facts it used, and the outcome. One ledger leaf commits to
/// all of it, signatures included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The document.
    pub document: Slug,
    /// The version decided.
    pub version: u32,
    /// Its hash.
    pub hash: String,
    /// The body deciding.
    pub body: Slug,
    /// The rule's identifier in the charter.
    pub rule_code: Slug,
    /// The rule as the charter stated it.
    pub rule: DecisionRule,
    /// The day.
    #[serde(with = "date::day")]
    pub decided_on: Date,
    /// Each state's standing and signed position.
    pub ballots: Vec<Ballot>,
    /// Adopted or blocked.
    pub outcome: Outcome,
    /// Who blocked, and why.
    pub blockers: Vec<Blocker>,
}

/// A member's attendance at a session, as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRecorded {
    /// The session.
    pub session: Slug,
    /// The member.
    pub member: MemberCode,
    /// How it stands.
    pub attendance: Attendance,
}

/// An agenda item, as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemAdded {
    /// The session.
    pub session: Slug,
    /// Its number, from 1.
    pub number: u32,
    /// What it is.
    pub title: Text,
}

/// Everything recorded of one document, as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFile {
    /// The document.
    pub document: Document,
    /// Its versions, oldest first.
    pub versions: Vec<VersionRecord>,
    /// The latest circulation, if any.
    pub circulated: Option<Circulation>,
    /// Positions on the circulated version.
    pub positions: Vec<SignedPosition>,
    /// The decision, once taken.
    pub decision: Option<Decision>,
}

impl DocumentFile {
    /// A document as first recorded: submitted, not yet decided.
    pub fn submitted(document: &Document) -> Document {
        Document {
            status: DocumentStatus::Submitted,
            ..document.clone()
        }
    }

    /// The latest version.
    pub fn latest(&self) -> Option<&VersionRecord> {
        self.versions.last()
    }

    /// The circulated version, if it is still the latest (a later version voids it).
    pub fn under_agreement(&self) -> Option<&Circulation> {
        let latest = self.latest()?.version.number;
        self.circulated.as_ref().filter(|c| c.version == latest)
    }
}

/// The state a command is decided against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// The session the command names or the document's session, if it exists.
    pub session: Option<Session>,
    /// The document the command names, if it exists.
    pub document: Option<DocumentFile>,
}

/// Why a command is refused. Each variant is one rule; [`CouncilError::rule`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouncilError {
    /// The command's signature is not by a registered key.
    #[error("key {0} is not registered")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("the signature does not verify for this command with key {0}")]
    BadSignature(String),
    /// The key is not valid on the day.
    #[error("key {key} of {owner} is valid {period}, not on {day}")]
    KeyNotValid {
        /// Key.
        key: String,
        /// Owner.
        owner: KeyOwner,
        /// Its period.
        period: String,
        /// The day.
        day: Date,
    },
    /// The key's owner may not issue this command.
    #[error("{action} must be signed by {expected}; key {key} belongs to {owner}")]
    WrongSigner {
        /// The command.
        action: &'static str,
        /// Who may sign it.
        expected: String,
        /// Key.
        key: String,
        /// Its owner.
        owner: KeyOwner,
    },
    /// The position's hash is not that of the version it names.
    #[error(
        "the position is signed for a text with hash {signed}, but version {version} has hash {actual}"
    )]
    WrongText {
        /// Version.
        version: u32,
        /// The hash signed.
        signed: String,
        /// The version's hash.
        actual: String,
    },
    /// The position is for a version that is not under agreement.
    #[error("version {signed} is not under agreement ({current})")]
    NotUnderAgreement {
        /// The version named.
        signed: u32,
        /// What is under agreement.
        current: String,
    },
    /// The same signed position was submitted again.
    #[error("this signed position was already recorded")]
    Replayed,
    /// The member already stated a position on this version.
    #[error(
        "{member} already stated its position ({stance}) on version {version}; a change needs a new version"
    )]
    AlreadyStated {
        /// Member.
        member: MemberCode,
        /// Its stance.
        stance: &'static str,
        /// Version.
        version: u32,
    },
    /// A frozen member cannot take positions.
    #[error("{member}'s participation is frozen on {day}: it does not vote or block")]
    FrozenMember {
        /// Member.
        member: MemberCode,
        /// The day.
        day: Date,
    },
    /// Observers, partners and others have no vote.
    #[error("{member} is {status} on {day}: only member states vote")]
    NoVote {
        /// The state.
        member: MemberCode,
        /// Its status.
        status: &'static str,
        /// The day.
        day: Date,
    },
    /// The state is not in the registry on that day.
    #[error("{0} is not a state of the organisation on {1}")]
    UnknownState(MemberCode, Date),
    /// An objection needs a reason.
    #[error("an objection must state its reason")]
    ObjectionWithoutReason,
    /// The rule does not allow declaring no interest.
    #[error("the rule `{0}` does not allow declaring no interest")]
    NoInterestNotAllowed(String),
    /// The document has been decided.
    #[error("document {document} was already decided ({outcome})")]
    AlreadyDecided {
        /// Document.
        document: Slug,
        /// How.
        outcome: &'static str,
    },
    /// Consensus cannot be stated yet.
    #[error("no consensus can be stated yet: awaiting {}", list(.0))]
    AwaitingPositions(Vec<MemberCode>),
    /// Nobody agreed.
    #[error("no voting member has agreed to the document")]
    NobodyAgreed,
    /// The session or document does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The session or document already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A reference into the charter is unknown.
    #[error("{0}")]
    NotInCharter(String),
    /// A signed day is in the future.
    #[error("the position is dated {signed}, after today ({today})")]
    FutureDate {
        /// The signed day.
        signed: Date,
        /// Today.
        today: Date,
    },
    /// A step out of order.
    #[error("{0}")]
    OutOfOrder(String),
    /// The rotation cannot name the chair.
    #[error("the chair cannot be determined: {0}")]
    Rotation(String),
}

fn list(codes: &[MemberCode]) -> String {
    codes
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl CouncilError {
    /// The rule that refused the command, as a stable kebab-case name.
    pub fn rule(&self) -> &'static str {
        match self {
            CouncilError::UnknownKey(_) => "unknown-key",
            CouncilError::BadSignature(_) => "bad-signature",
            CouncilError::KeyNotValid { .. } => "key-not-valid-on-date",
            CouncilError::WrongSigner { .. } => "wrong-signer",
            CouncilError::WrongText { .. } => "signed-for-another-version",
            CouncilError::NotUnderAgreement { .. } => "version-not-under-agreement",
            CouncilError::Replayed => "replayed-signature",
            CouncilError::AlreadyStated { .. } => "position-already-stated",
            CouncilError::FrozenMember { .. } => "frozen-member",
            CouncilError::NoVote { .. } => "no-vote",
            CouncilError::UnknownState(..) => "unknown-state",
            CouncilError::ObjectionWithoutReason => "objection-without-reason",
            CouncilError::NoInterestNotAllowed(_) => "no-interest-not-allowed",
            CouncilError::AlreadyDecided { .. } => "already-decided",
            CouncilError::AwaitingPositions(_) => "awaiting-positions",
            CouncilError::NobodyAgreed => "nobody-agreed",
            CouncilError::NotFound(_) => "not-found",
            CouncilError::AlreadyExists(_) => "already-exists",
            CouncilError::NotInCharter(_) => "not-in-charter",
            CouncilError::FutureDate { .. } => "future-date",
            CouncilError::OutOfOrder(_) => "out-of-order",
            CouncilError::Rotation(_) => "rotation",
        }
    }
}

/// The council's rules over the registry: the charter, the statuses over time, the keys.
pub struct Council<'a> {
    /// The charter.
    pub charter: &'a Charter,
    /// Statuses over time.
    pub timeline: &'a StatusTimeline,
    /// Registered keys.
    pub keys: &'a [KeyRegistration],
}

impl Council<'_> {
    /// Checks `signed` against the keys and `state`, on `today`; returns the events that
    /// carry it out.
    pub fn decide(
        &self,
        signed: &SignedCommand,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        let owner = self.authenticate(signed, today)?;
        let command = &signed.command;
        match command {
            Command::RecordPosition(p) => {
                self.require(command, owner, &signed.key, KeyOwner::Member(p.member))?
            }
            Command::RecordAttendance(a) if owner == KeyOwner::Member(a.member) => {}
            _ => self.require(command, owner, &signed.key, KeyOwner::Secretariat)?,
        }
        match command {
            Command::OpenSession(c) => self.open_session(c, state, today),
            Command::AddAgendaItem(c) => {
                let session = existing_session(state, &c.session)?;
                if c.number as usize != session.agenda.len() + 1 {
                    return Err(CouncilError::OutOfOrder(format!(
                        "session {} has {} agenda items: the next is number {}",
                        c.session,
                        session.agenda.len(),
                        session.agenda.len() + 1
                    )));
                }
                Ok(vec![Event::AgendaItemAdded(AgendaItemAdded {
                    session: c.session.clone(),
                    number: c.number,
                    title: c.title.clone(),
                })])
            }
            Command::RecordAttendance(c) => self.record_attendance(c, state),
            Command::DraftDocument(c) => self.draft(c, state),
            Command::ReviseDocument(c) => {
                let file = open_document(state, &c.document)?;
                let latest = &file
                    .latest()
                    .expect("a drafted document has a version")
                    .version;
                if c.version != latest.number + 1 {
                    return Err(CouncilError::OutOfOrder(format!(
                        "document {} is at version {}: the next is {}",
                        c.document,
                        latest.number,
                        latest.number + 1
                    )));
                }
                let version = Version {
                    document: c.document.clone(),
                    number: c.version,
                    doc_type: latest.doc_type.clone(),
                    title: c.title.clone().unwrap_or_else(|| latest.title.clone()),
                    text: Some(c.text.clone()),
                };
                let hash = version.hash();
                Ok(vec![Event::VersionRecorded(VersionRecord {
                    version,
                    hash,
                })])
            }
            Command::Circulate(c) => {
                let file = open_document(state, &c.document)?;
                let latest = file.latest().expect("a drafted document has a version");
                if c.version != latest.version.number {
                    return Err(CouncilError::OutOfOrder(format!(
                        "only the latest version ({}) can be circulated",
                        latest.version.number
                    )));
                }
                if file.under_agreement().is_some() {
                    return Err(CouncilError::OutOfOrder(format!(
                        "version {} is already circulated",
                        c.version
                    )));
                }
                Ok(vec![Event::VersionCirculated(Circulation {
                    document: c.document.clone(),
                    version: c.version,
                    hash: latest.hash.clone(),
                    on: today,
                })])
            }
            Command::RecordPosition(p) => self.record_position(signed, p, state),
            Command::Decide(c) => self.conclude(c, state, today),
        }
    }

    /// Checks the signature with the registered key valid on `today` (for a position, on
    /// its signed day); returns the key's owner.
    fn authenticate(&self, signed: &SignedCommand, today: Date) -> Result<KeyOwner, CouncilError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.key_id == signed.key)
            .ok_or_else(|| CouncilError::UnknownKey(signed.key.clone()))?;
        let public = PublicKey::parse(&key.public_key)
            .map_err(|_| CouncilError::UnknownKey(signed.key.clone()))?;
        let signature = SignatureB64::parse(&signed.signature)
            .map_err(|_| CouncilError::BadSignature(signed.key.clone()))?;
        public
            .verify_command(&signed.command, &signature)
            .map_err(|_| CouncilError::BadSignature(signed.key.clone()))?;
        let day = match &signed.command {
            Command::RecordPosition(p) => {
                if p.signed_on > today {
                    return Err(CouncilError::FutureDate {
                        signed: p.signed_on,
                        today,
                    });
                }
                p.signed_on
            }
            _ => today,
        };
        if !key.valid_on(day) {
            return Err(CouncilError::KeyNotValid {
                key: key.key_id.clone(),
                owner: key.owner,
                period: key.period(),
                day,
            });
        }
        Ok(key.owner)
    }

    fn require(
        &self,
        command: &Command,
        owner: KeyOwner,
        key: &str,
        expected: KeyOwner,
    ) -> Result<(), CouncilError> {
        if owner == expected {
            return Ok(());
        }
        Err(CouncilError::WrongSigner {
            action: command.action(),
            expected: match expected {
                KeyOwner::Secretariat => "the secretariat".to_owned(),
                KeyOwner::Member(code) => format!("{code}'s delegation"),
            },
            key: key.to_owned(),
            owner,
        })
    }

    fn open_session(
        &self,
        c: &OpenSession,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        if state.session.is_some() {
            return Err(CouncilError::AlreadyExists(format!("session {}", c.id)));
        }
        if self.charter.body(&c.body).is_none() {
            return Err(CouncilError::NotInCharter(format!(
                "the charter has no body `{}`",
                c.body
            )));
        }
        if self.charter.member(c.country).is_none() {
            return Err(CouncilError::NotInCharter(format!(
                "{} is not a state of the charter",
                c.country
            )));
        }
        let chair = self
            .charter
            .chairmanship
            .chair_for_year(self.timeline, c.date.year())
            .map_err(|e| CouncilError::Rotation(e.to_string()))?;
        let attendance = self
            .timeline
            .states()
            .filter(|m| {
                self.timeline
                    .status_on(*m, c.date)
                    .is_some_and(|s| s.status == MemberStatus::Frozen)
            })
            .map(|m| (m, Attendance::Frozen))
            .collect();
        Ok(vec![Event::SessionRecorded(Session {
            id: c.id.clone(),
            bodies: vec![c.body.clone()],
            date: crate::date::PartialDate::Day(c.date),
            status: if c.date <= today {
                SessionStatus::Held
            } else {
                SessionStatus::Planned
            },
            city: Some(c.city.clone()),
            country: Some(c.country),
            venue: c.venue.clone(),
            chair: Some(chair.member),
            formats: c.formats.clone(),
            attendance,
            heads: Default::default(),
            agenda: vec![],
            note: None,
            sources: vec![],
        })])
    }

    fn record_attendance(
        &self,
        c: &AttendanceRecord,
        state: &State,
    ) -> Result<Vec<Event>, CouncilError> {
        let session = existing_session(state, &c.session)?;
        let day = session.date.earliest();
        let status = self
            .timeline
            .status_on(c.member, day)
            .ok_or(CouncilError::UnknownState(c.member, day))?
            .status;
        let frozen = status == MemberStatus::Frozen;
        if frozen != (c.attendance == Attendance::Frozen) {
            return Err(CouncilError::OutOfOrder(format!(
                "{} is {} on {day}: its attendance cannot be `{}`",
                c.member,
                status.as_str(),
                c.attendance.as_str()
            )));
        }
        Ok(vec![Event::AttendanceRecorded(AttendanceRecorded {
            session: c.session.clone(),
            member: c.member,
            attendance: c.attendance,
        })])
    }

    fn draft(&self, c: &Draft, state: &State) -> Result<Vec<Event>, CouncilError> {
        if state.document.is_some() {
            return Err(CouncilError::AlreadyExists(format!("document {}", c.id)));
        }
        existing_session(state, &c.session)?;
        if !self.charter.has_document_type(&c.doc_type) {
            return Err(CouncilError::NotInCharter(format!(
                "the charter has no document type `{}`",
                c.doc_type
            )));
        }
        let version = Version {
            document: c.id.clone(),
            number: 1,
            doc_type: c.doc_type.clone(),
            title: c.title.clone(),
            text: Some(c.text.clone()),
        };
        let hash = version.hash();
        Ok(vec![
            Event::DocumentRecorded(Document {
                id: c.id.clone(),
                session: c.session.clone(),
                doc_type: c.doc_type.clone(),
                title: c.title.clone(),
                status: DocumentStatus::Submitted,
                note: None,
                sources: vec![],
            }),
            Event::VersionRecorded(VersionRecord { version, hash }),
        ])
    }

    fn record_position(
        &self,
        signed: &SignedCommand,
        p: &Position,
        state: &State,
    ) -> Result<Vec<Event>, CouncilError> {
        let file = open_document(state, &p.document)?;
        let Some(circulated) = file.under_agreement() else {
            return Err(CouncilError::NotUnderAgreement {
                signed: p.version,
                current: "no version is circulated".into(),
            });
        };
        if p.version != circulated.version {
            return Err(CouncilError::NotUnderAgreement {
                signed: p.version,
                current: format!("version {} is", circulated.version),
            });
        }
        if p.hash != circulated.hash {
            return Err(CouncilError::WrongText {
                version: p.version,
                signed: p.hash.clone(),
                actual: circulated.hash.clone(),
            });
        }
        if let Some(earlier) = file
            .positions
            .iter()
            .find(|e| e.position.member == p.member)
        {
            if earlier.signature == signed.signature {
                return Err(CouncilError::Replayed);
            }
            return Err(CouncilError::AlreadyStated {
                member: p.member,
                stance: earlier.position.stance.as_str(),
                version: p.version,
            });
        }
        let status = self
            .timeline
            .status_on(p.member, p.signed_on)
            .ok_or(CouncilError::UnknownState(p.member, p.signed_on))?
            .status;
        match status {
            MemberStatus::Member => {}
            MemberStatus::Frozen => {
                return Err(CouncilError::FrozenMember {
                    member: p.member,
                    day: p.signed_on,
                });
            }
            other => {
                return Err(CouncilError::NoVote {
                    member: p.member,
                    status: other.as_str(),
                    day: p.signed_on,
                });
            }
        }
        match p.stance {
            Stance::Object if p.reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
                return Err(CouncilError::ObjectionWithoutReason);
            }
            Stance::NoInterest => {
                let body = state
                    .session
                    .as_ref()
                    .and_then(|s| s.bodies.first())
                    .ok_or_else(|| {
                        CouncilError::NotFound(format!("session {}", file.document.session))
                    })?;
                let (code, rule) = self.body_rule(body, false)?;
                if !rule.no_interest {
                    return Err(CouncilError::NoInterestNotAllowed(code.to_string()));
                }
            }
            _ => {}
        }
        Ok(vec![Event::PositionRecorded(SignedPosition {
            position: p.clone(),
            key: signed.key.clone(),
            signature: signed.signature.clone(),
        })])
    }

    fn body_rule(&self, body: &Slug, urgent: bool) -> Result<(Slug, &DecisionRule), CouncilError> {
        let b = self.charter.body(body).ok_or_else(|| {
            CouncilError::NotInCharter(format!("the charter has no body `{body}`"))
        })?;
        let code = if urgent {
            &b.urgent_rule
        } else {
            &b.decision_rule
        };
        let code = code.clone().ok_or_else(|| {
            CouncilError::NotInCharter(format!(
                "body `{body}` has no {}decision rule in the charter",
                if urgent { "urgent " } else { "" }
            ))
        })?;
        let rule = self.charter.decision_rules.get(&code).ok_or_else(|| {
            CouncilError::NotInCharter(format!("the charter has no decision rule `{code}`"))
        })?;
        Ok((code, rule))
    }

    /// The ballots of every state known on `day`, with the session's attendance and the
    /// positions taken.
    pub fn ballots(
        &self,
        session: &Session,
        positions: &[SignedPosition],
        day: Date,
    ) -> Vec<Ballot> {
        self.timeline
            .states()
            .filter_map(|member| {
                let status = self.timeline.status_on(member, day)?.status;
                Some(Ballot {
                    member,
                    status,
                    attendance: session.attendance.get(&member).copied(),
                    position: positions
                        .iter()
                        .find(|p| p.position.member == member)
                        .cloned(),
                })
            })
            .collect()
    }

    fn conclude(&self, c: &Decide, state: &State, today: Date) -> Result<Vec<Event>, CouncilError> {
        let file = open_document(state, &c.document)?;
        let session = state
            .session
            .as_ref()
            .ok_or_else(|| CouncilError::NotFound(format!("session {}", file.document.session)))?;
        let Some(circulated) = file.under_agreement() else {
            return Err(CouncilError::OutOfOrder(
                "the latest version has not been circulated".into(),
            ));
        };
        let body = session.bodies.first().ok_or_else(|| {
            CouncilError::NotInCharter(format!("session {} names no body", session.id))
        })?;
        let (rule_code, rule) = self.body_rule(body, c.urgent)?;
        let ballots = self.ballots(session, &file.positions, today);
        let tally: Tally = consensus::tally(rule, &ballots);
        let outcome = match tally.outcome() {
            Some(o) => o,
            None if !tally.awaiting.is_empty() => {
                return Err(CouncilError::AwaitingPositions(tally.awaiting));
            }
            None => return Err(CouncilError::NobodyAgreed),
        };
        Ok(vec![Event::DocumentDecided(Box::new(Decision {
            document: c.document.clone(),
            version: circulated.version,
            hash: circulated.hash.clone(),
            body: body.clone(),
            rule_code,
            rule: rule.clone(),
            decided_on: today,
            ballots,
            outcome,
            blockers: tally.blockers,
        }))])
    }
}

fn existing_session<'s>(state: &'s State, id: &Slug) -> Result<&'s Session, CouncilError> {
    state
        .session
        .as_ref()
        .filter(|s| &s.id == id)
        .ok_or_else(|| CouncilError::NotFound(format!("session {id}")))
}

/// The document, if it exists and is not decided yet.
fn open_document<'s>(state: &'s State, id: &Slug) -> Result<&'s DocumentFile, CouncilError> {
    let file = state
        .document
        .as_ref()
        .filter(|f| &f.document.id == id)
        .ok_or_else(|| CouncilError::NotFound(format!("document {id}")))?;
    if let Some(decision) = &file.decision {
        return Err(CouncilError::AlreadyDecided {
            document: id.clone(),
            outcome: match decision.outcome {
                Outcome::Adopted => "adopted",
                Outcome::Blocked => "blocked",
            },
        });
    }
    Ok(file)
}

/// Checks a decision again from its own facts, as an offline verifier does: the rule
/// applied to the ballots gives the recorded outcome and blockers.
pub fn recheck(decision: &Decision) -> Result<(), String> {
    let tally = consensus::tally(&decision.rule, &decision.ballots);
    match tally.outcome() {
        Some(o) if o == decision.outcome && tally.blockers == decision.blockers => Ok(()),
        Some(o) => Err(format!(
            "the rule applied to the ballots gives {o:?} (blockers {:?}), but the decision records {:?} (blockers {:?})",
            tally.blockers, decision.outcome, decision.blockers
        )),
        None => Err(format!(
            "the rule applied to the ballots gives no outcome (awaiting {}), but the decision records {:?}",
            list(&tally.awaiting),
            decision.outcome
        )),
    }
}
