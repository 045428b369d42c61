//! What the council's procedure records: versions, circulations, decisions, and the
//! state of a document that the rules read.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::charter::DecisionRule;
use crate::code::{MemberCode, Slug};
use crate::consensus::{Ballot, Blocker, Outcome, SignedPosition};
use crate::date;
use crate::history::{Attendance, Document, DocumentStatus, Session};
use crate::incident::IncidentReport;
use crate::text::Text;
use concord_ledger::signature::canonical_sha256;

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
    /// The latest version of the incident report the command names, if it exists.
    pub incident: Option<IncidentReport>,
    /// The request for assistance the command names (empty if it does not exist).
    pub assistance: super::assistance::AssistanceFile,
    /// The situation the command names (empty if it does not exist); for an alert, the
    /// situation it belongs to.
    pub situation: super::situation::SituationFile,
    /// The alert the command names, if it exists.
    pub alert: Option<super::alert::IssuedAlert>,
    /// The programme the command names (empty if nothing is recorded of it).
    pub programme: crate::year::ProgrammeFile,
    /// The budget year the command names (empty if nothing is recorded of it).
    pub budget: crate::year::BudgetFile,
    /// The quota period the command names (empty if nothing is recorded of it).
    pub quota: crate::year::QuotaFile,
    /// The chairmanship year the command names (empty if nothing is recorded of it).
    pub chairmanship: crate::year::ChairFile,
    /// Whether the record a priority link names exists (read by the edge).
    pub linked_record_exists: bool,
    /// SHA-256 of that year's report as generated now from the record (by the edge, which
    /// renders it).
    pub report_digest: Option<String>,
    /// Whether the command's seal (key and nonce) was received before.
    pub sealed_before: bool,
}

/// An incident report with its reporter's signature, as logged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedIncident {
    /// The report.
    pub report: IncidentReport,
    /// The reporting member's seal over the `report-incident` command carrying `report`.
    pub seal: super::Seal,
    /// The day it was received, which the key had to be valid on.
    #[serde(with = "date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}
