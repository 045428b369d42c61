//! Events: every change to Concord is one. The store appends them to one log and derives
//! its read tables from them; later the ledger hashes them.

use serde::{Deserialize, Serialize};

use crate::accounts::AccountChange;
use crate::charter::Charter;
use crate::consensus::SignedPosition;
use crate::council::{
    AgendaItemAdded, AssistanceRequest, AttendanceRecorded, Circulation, CommandSigned, Decision,
    DeploymentStep, IssuedAlert, Pledge, SignedIncident, SituationChange, VersionRecord,
};
use crate::history::{
    Appointment, ChairmanshipStatement, Document, Exercise, ExerciseYear, Operation, Programme,
    Session, Source,
};
use crate::keys::{KeyRegistration, KeyRetirement};
use crate::registry::StatusRecord;
use crate::tokens::{ApiToken, TokenRevocation};

/// The ledger's name: the origin its checkpoints carry, which every signed command names so
/// that a command for one deployment is refused by another. Chosen once, when the
/// organisation is created, and unique to the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerName {
    /// The origin (`CSTO.concord/ledger/3f9a0c…`): a C2SP key name, no spaces or `+`.
    pub origin: String,
    /// On a member state's node: the state, and the secretariat's log key it trusts to
    /// bring it the registry. Absent on the secretariat's node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<crate::federation::NodeOf>,
}

/// One change to the system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "kebab-case")]
pub enum Event {
    /// The organisation's charter was adopted (the first event of every log).
    CharterAdopted(Box<Charter>),
    /// The ledger was named (the second event of every log).
    LedgerNamed(LedgerName),
    /// A source article was registered for citation.
    SourceCited(Source),
    /// A state's status changed.
    StatusRecorded(StatusRecord),
    /// A session was recorded.
    SessionRecorded(Session),
    /// A document was recorded.
    DocumentRecorded(Document),
    /// An appointment to a post was recorded.
    AppointmentRecorded(Appointment),
    /// A chairmanship stated its motto and priorities.
    ChairmanshipStated(ChairmanshipStatement),
    /// A year's exercise totals were recorded.
    ExerciseYearRecorded(ExerciseYear),
    /// An exercise was recorded.
    ExerciseRecorded(Exercise),
    /// A programme was recorded.
    ProgrammeRecorded(Programme),
    /// A standing operation was recorded.
    OperationRecorded(Operation),
    /// A public key was registered for a member's delegation or the secretariat.
    KeyRegistered(KeyRegistration),
    /// A key's validity ended (rotation or revocation).
    KeyRetired(KeyRetirement),
    /// A node of the federation was registered.
    NodeRegistered(crate::federation::NodeRegistration),
    /// An item was added to a session's agenda.
    AgendaItemAdded(AgendaItemAdded),
    /// A member's attendance at a session was recorded.
    AttendanceRecorded(AttendanceRecorded),
    /// A version of a document was recorded.
    VersionRecorded(VersionRecord),
    /// A version was circulated for agreement.
    VersionCirculated(Circulation),
    /// A member's signed position on a circulated version.
    PositionRecorded(SignedPosition),
    /// A document was decided by its body's rule.
    DocumentDecided(Box<Decision>),
    /// The signed command that caused the events logged with it.
    CommandSigned(Box<CommandSigned>),
    /// A national crisis centre reported an incident (or a new version of a report).
    IncidentReported(Box<SignedIncident>),
    /// An API token was issued (its hash only).
    TokenIssued(ApiToken),
    /// An API token was revoked.
    TokenRevoked(TokenRevocation),
    /// A member requested collective assistance.
    AssistanceRequested(AssistanceRequest),
    /// A member pledged forces to a request.
    ForcesPledged(Pledge),
    /// A deployment was ordered or moved on.
    DeploymentStepped(DeploymentStep),
    /// A situation was opened, grouped a report, or changed level.
    SituationChanged(SituationChange),
    /// An alert (CAP 1.2) was issued.
    AlertIssued(Box<IssuedAlert>),
    /// An account was opened, its rights changed, it was closed, or it signed in.
    AccountChanged(AccountChange),
    /// An item of a programme or action plan was set out.
    ProgrammeItemAdded(crate::year::ProgrammeItemAdded),
    /// Progress on an item was reported.
    ProgressReported(crate::year::ProgressReported),
    /// A year's budget was set, with each member's contribution.
    BudgetSet(crate::year::BudgetSet),
    /// A member's payment was recorded.
    PaymentRecorded(crate::year::PaymentRecorded),
    /// A period's quota posts were apportioned.
    QuotaApportioned(crate::year::QuotaApportioned),
    /// A member renounced quota posts.
    QuotaPostRenounced(crate::year::QuotaPostRenounced),
    /// A quota post was filled.
    QuotaPostFilled(crate::year::QuotaPostFilled),
    /// A record was linked to a priority of the chair's year.
    PriorityLinked(crate::year::PriorityLinked),
    /// The chair's annual report was submitted.
    AnnualReportSubmitted(crate::year::AnnualReportSubmitted),
}

impl Event {
    /// The event's kind, as stored and published.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CharterAdopted(_) => "charter-adopted",
            Event::LedgerNamed(_) => "ledger-named",
            Event::SourceCited(_) => "source-cited",
            Event::StatusRecorded(_) => "status-recorded",
            Event::SessionRecorded(_) => "session-recorded",
            Event::DocumentRecorded(_) => "document-recorded",
            Event::AppointmentRecorded(_) => "appointment-recorded",
            Event::ChairmanshipStated(_) => "chairmanship-stated",
            Event::ExerciseYearRecorded(_) => "exercise-year-recorded",
            Event::ExerciseRecorded(_) => "exercise-recorded",
            Event::ProgrammeRecorded(_) => "programme-recorded",
            Event::OperationRecorded(_) => "operation-recorded",
            Event::KeyRegistered(_) => "key-registered",
            Event::KeyRetired(_) => "key-retired",
            Event::NodeRegistered(_) => "node-registered",
            Event::AgendaItemAdded(_) => "agenda-item-added",
            Event::AttendanceRecorded(_) => "attendance-recorded",
            Event::VersionRecorded(_) => "version-recorded",
            Event::VersionCirculated(_) => "version-circulated",
            Event::PositionRecorded(_) => "position-recorded",
            Event::DocumentDecided(_) => "document-decided",
            Event::CommandSigned(_) => "command-signed",
            Event::IncidentReported(_) => "incident-reported",
            Event::TokenIssued(_) => "token-issued",
            Event::TokenRevoked(_) => "token-revoked",
            Event::AssistanceRequested(_) => "assistance-requested",
            Event::ForcesPledged(_) => "forces-pledged",
            Event::DeploymentStepped(_) => "deployment-stepped",
            Event::SituationChanged(_) => "situation-changed",
            Event::AlertIssued(_) => "alert-issued",
            Event::AccountChanged(_) => "account-changed",
            Event::ProgrammeItemAdded(_) => "programme-item-added",
            Event::ProgressReported(_) => "progress-reported",
            Event::BudgetSet(_) => "budget-set",
            Event::PaymentRecorded(_) => "payment-recorded",
            Event::QuotaApportioned(_) => "quota-apportioned",
            Event::QuotaPostRenounced(_) => "quota-post-renounced",
            Event::QuotaPostFilled(_) => "quota-post-filled",
            Event::PriorityLinked(_) => "priority-linked",
            Event::AnnualReportSubmitted(_) => "annual-report-submitted",
        }
    }

    /// The record the event belongs to (`session/…`, `document/…`), for the commands that
    /// must see every earlier change to it before deciding.
    pub fn subject(&self) -> Option<String> {
        let subject = match self {
            Event::SessionRecorded(s) => format!("session/{}", s.id),
            Event::AgendaItemAdded(a) => format!("session/{}", a.session),
            Event::AttendanceRecorded(a) => format!("session/{}", a.session),
            Event::DocumentRecorded(d) => format!("document/{}", d.id),
            Event::VersionRecorded(v) => format!("document/{}", v.version.document),
            Event::VersionCirculated(c) => format!("document/{}", c.document),
            Event::PositionRecorded(p) => format!("document/{}", p.position.document),
            Event::DocumentDecided(d) => format!("document/{}", d.document),
            Event::CommandSigned(c) => c.command.command.subject().name(),
            Event::IncidentReported(i) => format!("incident/{}", i.report.id),
            Event::KeyRegistered(_) | Event::KeyRetired(_) => "keys".to_owned(),
            Event::NodeRegistered(_) => "nodes".to_owned(),
            Event::TokenIssued(_) | Event::TokenRevoked(_) => "tokens".to_owned(),
            Event::AssistanceRequested(r) => format!("request/{}", r.id),
            Event::ForcesPledged(p) => format!("request/{}", p.pledge.request),
            Event::DeploymentStepped(s) => format!("request/{}", s.request),
            Event::SituationChanged(c) => format!("situation/{}", c.situation()),
            Event::AlertIssued(a) => format!("alert/{}", a.alert.id),
            Event::AccountChanged(c) => format!("account/{}", c.username()),
            Event::LedgerNamed(_) => "ledger".to_owned(),
            Event::ProgrammeItemAdded(i) => format!("programme/{}", i.item.programme),
            Event::ProgressReported(r) => format!("programme/{}", r.report.programme),
            Event::BudgetSet(b) => format!("budget/{}", b.budget.year),
            Event::PaymentRecorded(p) => format!("budget/{}", p.payment.year),
            Event::QuotaApportioned(a) => format!("quota/{}", a.apportion.period),
            Event::QuotaPostRenounced(r) => format!("quota/{}", r.renounce.period),
            Event::QuotaPostFilled(f) => format!("quota/{}", f.fill.period),
            Event::ChairmanshipStated(s) => format!("chairmanship/{}", s.year),
            Event::PriorityLinked(l) => format!("chairmanship/{}", l.link.year),
            Event::AnnualReportSubmitted(r) => format!("chairmanship/{}", r.report.year),
            _ => return None,
        };
        Some(subject)
    }
}
