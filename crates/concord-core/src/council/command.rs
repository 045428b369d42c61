//! The council's commands: what the secretariat and the member delegations sign.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::code::{MemberCode, Slug};
use crate::consensus::Position;
use crate::date;
use crate::history::{Attendance, SessionFormat};
use crate::incident::IncidentReport;

use super::alert::IssueAlert;
use super::assistance::{AdvanceDeployment, OrderDeployment, PledgeForces, RequestAssistance};
use super::situation::{AttachReport, OpenSituation, SetCrisisLevel};
use crate::text::Text;
use crate::year::{
    AddProgrammeItem, ApportionQuotaPosts, FillQuotaPost, LinkPriority, Party, RecordPayment,
    RenounceQuotaPost, ReportProgress, SetBudget, StatePriorities, SubmitAnnualReport,
};

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
    /// Confidential: read by member states and the secretariat only, with every document
    /// put before it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confidential: bool,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// A national crisis centre's incident report (or a new version of one), signed by
    /// the reporting member.
    ReportIncident(Box<IncidentReport>),
    /// A member's request for collective assistance.
    RequestAssistance(RequestAssistance),
    /// A member's pledge of forces to an adopted request.
    PledgeForces(PledgeForces),
    /// The order to deploy the pledged forces.
    OrderDeployment(OrderDeployment),
    /// The deployment's next step.
    AdvanceDeployment(AdvanceDeployment),
    /// The crisis-response centre opens a situation.
    OpenSituation(OpenSituation),
    /// ...groups a report into it.
    AttachReport(AttachReport),
    /// ...changes its crisis level.
    SetCrisisLevel(SetCrisisLevel),
    /// An alert (CAP 1.2) to the national centres, from the crisis-response centre or a
    /// member's national crisis centre.
    IssueAlert(IssueAlert),
    /// The secretariat sets out an item of an adopted programme or action plan.
    AddProgrammeItem(AddProgrammeItem),
    /// The responsible party reports progress on an item.
    ReportProgress(ReportProgress),
    /// The secretariat sets a year's budget under its adopted document.
    SetBudget(SetBudget),
    /// The secretariat records a member's payment.
    RecordPayment(RecordPayment),
    /// The secretariat apportions a period's quota posts under an adopted decision.
    ApportionQuotaPosts(ApportionQuotaPosts),
    /// A member renounces some of its quota posts.
    RenounceQuotaPost(RenounceQuotaPost),
    /// The secretariat records who fills a member's quota post.
    FillQuotaPost(FillQuotaPost),
    /// The year's chair states its motto and priorities.
    StatePriorities(StatePriorities),
    /// The chair (or the secretariat) links a record to a priority.
    LinkPriority(LinkPriority),
    /// The year's chair submits its annual report.
    SubmitAnnualReport(SubmitAnnualReport),
}

/// Whose key may sign a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The secretariat's.
    Secretariat,
    /// This member's delegation's.
    Member(MemberCode),
    /// The secretariat's or this member's (attendance).
    SecretariatOr(MemberCode),
    /// Any registered key: the secretariat's or any state's (alerts).
    Anyone,
}

impl Signer {
    /// Whether a key of `owner` may sign.
    pub fn allows(self, owner: crate::keys::KeyOwner) -> bool {
        use crate::keys::KeyOwner;
        match self {
            Signer::Secretariat => owner == KeyOwner::Secretariat,
            Signer::Member(m) => owner == KeyOwner::Member(m),
            Signer::SecretariatOr(m) => {
                owner == KeyOwner::Secretariat || owner == KeyOwner::Member(m)
            }
            Signer::Anyone => true,
        }
    }

    /// Who that is, for a refusal.
    pub fn describe(self) -> String {
        match self {
            Signer::Secretariat => "the secretariat".to_owned(),
            Signer::Member(m) => format!("{m}'s delegation"),
            Signer::SecretariatOr(m) => format!("the secretariat or {m}'s delegation"),
            Signer::Anyone => "a registered key".to_owned(),
        }
    }
}

/// What binds a signature to its moment and to this deployment: the key that made it,
/// when its signer says it was made, a random nonce, and the Ed25519 signature over
/// [`Signable`] (the command with all three and the ledger's origin). Concord refuses a
/// seal it has seen before, a moment in the future, and a key or a state that could not act
/// on the day received or on the day claimed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    /// The signing key's identifier.
    pub key: String,
    /// When it was signed, RFC 3339 in UTC (`2026-11-24T09:30:00Z`), as signed.
    pub issued_at: String,
    /// 16 to 64 random characters of base64url (`A-Z a-z 0-9 - _`), never used twice.
    pub nonce: String,
    /// Ed25519 signature, base64, over `concord-command-v2\n` and the RFC 8785 JSON of
    /// [`Signable`].
    pub signature: String,
    /// The origin the signature names when it is not the recording ledger's: a member
    /// state's position signed on its own node and delivered to the secretariat's, which
    /// accepts it only for a node the registry holds for that state. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_origin: Option<String>,
}

/// Exactly what a seal's signature covers: the deployment (the ledger's origin), the
/// moment, the nonce and the command.
#[derive(Debug, Serialize)]
pub struct Signable<'a> {
    /// The ledger's origin: the deployment the command is for.
    pub origin: &'a str,
    /// As in the seal.
    pub issued_at: &'a str,
    /// As in the seal.
    pub nonce: &'a str,
    /// The command.
    pub command: &'a Command,
}

/// Why a seal's moment or nonce is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// `issued_at` is not RFC 3339 UTC.
    #[error("issued_at `{0}` is not an RFC 3339 time in UTC (write e.g. 2026-11-24T09:30:00Z)")]
    Moment(String),
    /// The nonce is too short, too long or has other characters.
    #[error("the nonce must be 16 to 64 characters of A-Z, a-z, 0-9, `-` and `_`")]
    Nonce,
}

impl Seal {
    /// Seals `command` for the deployment `origin` at `issued_at` with `secret`, with a
    /// fresh random nonce.
    pub fn sign(
        secret: &concord_ledger::signature::SecretKey,
        origin: &str,
        command: &Command,
        issued_at: time::OffsetDateTime,
    ) -> Seal {
        let issued_at = issued_at
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .expect("zero nanoseconds")
            .format(&time::format_description::well_known::Rfc3339)
            .expect("UTC times format");
        let nonce = concord_ledger::signature::nonce();
        let signature = secret
            .sign_command(&Signable {
                origin,
                issued_at: &issued_at,
                nonce: &nonce,
                command,
            })
            .to_b64();
        Seal {
            key: secret.public().key_id(),
            issued_at,
            nonce,
            signature,
            node_origin: None,
        }
    }

    /// The moment the signer claims, checked to be RFC 3339 in UTC.
    pub fn moment(&self) -> Result<time::OffsetDateTime, SealError> {
        time::OffsetDateTime::parse(
            &self.issued_at,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
        .filter(|t| t.offset() == time::UtcOffset::UTC && self.issued_at.ends_with('Z'))
        .ok_or_else(|| SealError::Moment(self.issued_at.clone()))
    }

    /// Checks the nonce's shape.
    pub fn check_nonce(&self) -> Result<(), SealError> {
        let n = &self.nonce;
        if (16..=64).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(())
        } else {
            Err(SealError::Nonce)
        }
    }

    /// The bytes the signature covers, for `command` in the deployment `origin`.
    pub fn message(&self, origin: &str, command: &Command) -> Vec<u8> {
        concord_ledger::signature::command_message(&self.signable(origin, command))
    }

    /// What the signature covers.
    pub fn signable<'a>(&'a self, origin: &'a str, command: &'a Command) -> Signable<'a> {
        Signable {
            origin,
            issued_at: &self.issued_at,
            nonce: &self.nonce,
            command,
        }
    }
}

/// A command with the seal of the key that issues it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCommand {
    /// The command.
    pub command: Command,
    /// Who signed it, when, for which deployment.
    pub seal: Seal,
}

impl SignedCommand {
    /// Signs `command` with `secret` for the deployment `origin`, issued at `issued_at`.
    pub fn sign(
        secret: &concord_ledger::signature::SecretKey,
        origin: &str,
        command: Command,
        issued_at: time::OffsetDateTime,
    ) -> SignedCommand {
        let seal = Seal::sign(secret, origin, &command, issued_at);
        SignedCommand { command, seal }
    }
}

/// A command as logged: the signed command and the day it was carried out, which the
/// signing key had to be valid on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSigned {
    /// The command and its signature.
    pub command: SignedCommand,
    /// The day it was carried out.
    #[serde(with = "date::day")]
    pub on: Date,
}

/// What a command acts on, so the edge knows which state to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A session.
    Session(Slug),
    /// A document.
    Document(Slug),
    /// An incident report.
    Incident(Slug),
    /// A request for collective assistance.
    Request(Slug),
    /// A situation.
    Situation(Slug),
    /// An alert.
    Alert(Slug),
    /// A programme or action plan being carried out (its document's id).
    Programme(Slug),
    /// A budget year.
    Budget(i32),
    /// A period of quota posts (its first year).
    Quota(i32),
    /// A chairmanship year: its priorities, their links and its annual report.
    Chairmanship(i32),
}

impl Subject {
    /// The subject's name in the event log (`session/…`, `document/…`).
    pub fn name(&self) -> String {
        match self {
            Subject::Session(id) => format!("session/{id}"),
            Subject::Document(id) => format!("document/{id}"),
            Subject::Incident(id) => format!("incident/{id}"),
            Subject::Request(id) => format!("request/{id}"),
            Subject::Situation(id) => format!("situation/{id}"),
            Subject::Alert(id) => format!("alert/{id}"),
            Subject::Programme(id) => format!("programme/{id}"),
            Subject::Budget(year) => format!("budget/{year}"),
            Subject::Quota(year) => format!("quota/{year}"),
            Subject::Chairmanship(year) => format!("chairmanship/{year}"),
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
            Command::ReportIncident(r) => Subject::Incident(r.id.clone()),
            Command::RequestAssistance(r) => Subject::Request(r.id.clone()),
            Command::PledgeForces(p) => Subject::Request(p.request.clone()),
            Command::OrderDeployment(o) => Subject::Request(o.request.clone()),
            Command::AdvanceDeployment(a) => Subject::Request(a.request.clone()),
            Command::OpenSituation(c) => Subject::Situation(c.id.clone()),
            Command::AttachReport(c) => Subject::Situation(c.situation.clone()),
            Command::SetCrisisLevel(c) => Subject::Situation(c.situation.clone()),
            Command::IssueAlert(c) => Subject::Alert(c.id.clone()),
            Command::AddProgrammeItem(c) => Subject::Programme(c.programme.clone()),
            Command::ReportProgress(c) => Subject::Programme(c.programme.clone()),
            Command::SetBudget(c) => Subject::Budget(c.year),
            Command::RecordPayment(c) => Subject::Budget(c.year),
            Command::ApportionQuotaPosts(c) => Subject::Quota(c.period),
            Command::RenounceQuotaPost(c) => Subject::Quota(c.period),
            Command::FillQuotaPost(c) => Subject::Quota(c.period),
            Command::StatePriorities(c) => Subject::Chairmanship(c.year),
            Command::LinkPriority(c) => Subject::Chairmanship(c.year),
            Command::SubmitAnnualReport(c) => Subject::Chairmanship(c.year),
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
            Command::ReportIncident(_) => "report-incident",
            Command::RequestAssistance(_) => "request-assistance",
            Command::PledgeForces(_) => "pledge-forces",
            Command::OrderDeployment(_) => "order-deployment",
            Command::AdvanceDeployment(_) => "advance-deployment",
            Command::OpenSituation(_) => "open-situation",
            Command::AttachReport(_) => "attach-report",
            Command::SetCrisisLevel(_) => "set-crisis-level",
            Command::IssueAlert(_) => "issue-alert",
            Command::AddProgrammeItem(_) => "add-programme-item",
            Command::ReportProgress(_) => "report-progress",
            Command::SetBudget(_) => "set-budget",
            Command::RecordPayment(_) => "record-payment",
            Command::ApportionQuotaPosts(_) => "apportion-quota-posts",
            Command::RenounceQuotaPost(_) => "renounce-quota-post",
            Command::FillQuotaPost(_) => "fill-quota-post",
            Command::StatePriorities(_) => "state-priorities",
            Command::LinkPriority(_) => "link-priority",
            Command::SubmitAnnualReport(_) => "submit-annual-report",
        }
    }

    /// Whose key may sign it: one rule for carrying it out and for the audit.
    pub fn signer(&self) -> Signer {
        match self {
            Command::RecordPosition(p) => Signer::Member(p.member),
            Command::ReportIncident(r) => Signer::Member(r.reporter),
            Command::RequestAssistance(r) => Signer::Member(r.requester),
            Command::PledgeForces(p) => Signer::Member(p.member),
            Command::RecordAttendance(a) => Signer::SecretariatOr(a.member),
            Command::IssueAlert(_) => Signer::Anyone,
            Command::ReportProgress(p) => match &p.reporter {
                Party::Member(m) => Signer::Member(*m),
                Party::Body(_) => Signer::Secretariat,
            },
            Command::RenounceQuotaPost(r) => Signer::Member(r.member),
            Command::SubmitAnnualReport(r) => Signer::Member(r.chair),
            Command::StatePriorities(r) => Signer::Member(r.chair),
            Command::OpenSession(_)
            | Command::AddAgendaItem(_)
            | Command::DraftDocument(_)
            | Command::ReviseDocument(_)
            | Command::Circulate(_)
            | Command::Decide(_)
            | Command::OrderDeployment(_)
            | Command::AdvanceDeployment(_)
            | Command::OpenSituation(_)
            | Command::AttachReport(_)
            | Command::SetCrisisLevel(_)
            | Command::AddProgrammeItem(_)
            | Command::SetBudget(_)
            | Command::RecordPayment(_)
            | Command::ApportionQuotaPosts(_)
            | Command::FillQuotaPost(_)
            | Command::LinkPriority(_) => Signer::Secretariat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_ledger::signature::{SecretKey, SignatureB64};
    use proptest::prelude::*;

    fn command() -> Command {
        Command::Circulate(Circulate {
            document: "d-1".parse().unwrap(),
            version: 1,
        })
    }

    proptest! {
        /// Reading a seal's moment and nonce never panics, whatever was sent.
        #[test]
        fn any_moment_and_nonce_are_read_without_panic(issued_at in ".{0,40}", nonce in ".{0,80}") {
            let seal = Seal { key: "k".into(), issued_at, nonce, signature: String::new(), node_origin: None };
            let _ = seal.moment();
            let _ = seal.check_nonce();
        }

        /// A seal verifies for its own deployment, moment and nonce, and for nothing else.
        #[test]
        fn a_seal_binds_its_origin_moment_and_nonce(
            origin in "[a-z]{1,8}\\.concord/ledger/[0-9a-f]{16}",
            other in "[a-z]{1,8}\\.concord/ledger/[0-9a-f]{16}",
            seconds in 0i64..4_000_000_000,
        ) {
            let secret = SecretKey::generate();
            let at = time::OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            let signed = SignedCommand::sign(&secret, &origin, command(), at);
            let seal = &signed.seal;
            prop_assert!(seal.check_nonce().is_ok());
            prop_assert_eq!(seal.moment().unwrap(), at);
            let signature = SignatureB64::parse(&seal.signature).unwrap();
            let verifies = |s: &Seal, o: &str| {
                secret.public().verify_command(&s.signable(o, &signed.command), &signature).is_ok()
            };
            prop_assert!(verifies(seal, &origin));
            prop_assert_eq!(verifies(seal, &other), origin == other);
            let mut later = seal.clone();
            later.issued_at = (at + time::Duration::seconds(1))
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            prop_assert!(!verifies(&later, &origin));
            let mut renonced = seal.clone();
            renonced.nonce = concord_ledger::signature::nonce();
            prop_assert!(!verifies(&renonced, &origin));
        }
    }

    #[test]
    fn moments_are_rfc3339_utc_and_nonces_url_safe() {
        let seal = |issued_at: &str, nonce: &str| Seal {
            key: "k".into(),
            issued_at: issued_at.into(),
            nonce: nonce.into(),
            signature: String::new(),
            node_origin: None,
        };
        assert!(
            seal("2026-11-24T09:30:00Z", "abcdefghijklmnop")
                .moment()
                .is_ok()
        );
        assert!(seal("2026-11-24T09:30:00+05:00", "x").moment().is_err());
        assert!(seal("2026-11-24", "x").moment().is_err());
        assert!(seal("", "abcdefghijklmnop/").check_nonce().is_err());
        assert!(seal("", "short").check_nonce().is_err());
        assert!(seal("", &"a".repeat(65)).check_nonce().is_err());
    }
}
