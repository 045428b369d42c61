//! Why a command is refused: one variant a rule.

use time::Date;

use crate::code::{MemberCode, Slug};
use crate::keys::KeyOwner;

/// Why a command is refused. Each variant is one rule; [`CouncilError::rule`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouncilError {
    /// The command's signature is not by a registered key.
    #[error("key {0} is not registered")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("the signature does not verify for this command with key {0}")]
    BadSignature(String),
    /// The seal names another ledger than this one, and may not.
    #[error("{0}")]
    OtherLedger(String),
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
    /// A seal Concord has seen before: the same signed command, submitted again.
    #[error(
        "this signed command was already received once (its key and nonce are on the ledger); sign a new one"
    )]
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
    /// A command claims to be issued in the future.
    #[error(
        "the command is issued at {issued_at}, later than now ({now}) by more than the {skew} s allowed for clocks"
    )]
    FutureDate {
        /// The moment claimed.
        issued_at: String,
        /// Now.
        now: String,
        /// The clock skew allowed, in seconds.
        skew: i64,
    },
    /// The seal's moment or nonce is malformed.
    #[error(transparent)]
    BadSeal(#[from] super::SealError),
    /// A state whose status does not let it act signed the command.
    #[error("{member} is {status} on {day}: only member states act")]
    NotActing {
        /// The state.
        member: MemberCode,
        /// Its status.
        status: &'static str,
        /// The day.
        day: Date,
    },
    /// A position dated before its version was circulated.
    #[error(
        "the position is dated {signed}, before version {version} was circulated ({circulated})"
    )]
    BeforeCirculation {
        /// The version.
        version: u32,
        /// The day signed.
        signed: Date,
        /// The day circulated.
        circulated: Date,
    },
    /// A position whose day is not the day its seal claims.
    #[error("the position says it was signed on {signed_on}, but its seal says {issued_on}")]
    DayMismatch {
        /// The position's day.
        signed_on: Date,
        /// The seal's day.
        issued_on: Date,
    },
    /// A step out of order.
    #[error("{0}")]
    OutOfOrder(String),
    /// An incident report is malformed or inconsistent with the charter.
    #[error("{0}")]
    InvalidReport(String),
    /// An alert that is not a CAP 1.2 message (or not a valid one).
    #[error("the alert is not valid CAP 1.2: {0}")]
    NotCap12(String),
    /// An alert whose CAP scope says otherwise than its releasability.
    #[error("{0}")]
    ScopeMismatch(String),
    /// A record named outside its signer's own names.
    #[error("{what} {rule}")]
    NotOwnName {
        /// What is named (`an incident report`).
        what: String,
        /// How its signer names it.
        rule: String,
    },
    /// The rotation cannot name the chair.
    #[error("the chair cannot be determined: {0}")]
    Rotation(String),
    /// The document a command builds on is not adopted (or not of the right type).
    #[error("{0}")]
    NotAdopted(String),
    /// A progress report by a party that does not answer for the item.
    #[error("{0}")]
    NotResponsible(String),
    /// A payment larger than what is owed.
    #[error("{0}")]
    Overpaid(String),
    /// No vacant quota post to renounce or fill.
    #[error("{0}")]
    NoQuotaPostLeft(String),
    /// Someone other than the year's chair submits its report.
    #[error("{0}")]
    NotChair(String),
    /// The report signed is not the report as generated from the record.
    #[error("{0}")]
    ReportChanged(String),
}

pub(crate) fn list(codes: &[MemberCode]) -> String {
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
            CouncilError::OtherLedger(_) => "signed-for-another-ledger",
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
            CouncilError::BadSeal(_) => "malformed-seal",
            CouncilError::NotActing { .. } => "state-may-not-act",
            CouncilError::BeforeCirculation { .. } => "signed-before-circulation",
            CouncilError::DayMismatch { .. } => "signed-on-mismatch",
            CouncilError::OutOfOrder(_) => "out-of-order",
            CouncilError::InvalidReport(_) => "invalid-report",
            CouncilError::Rotation(_) => "rotation",
            CouncilError::NotCap12(_) => "not-cap-1.2",
            CouncilError::ScopeMismatch(_) => "cap-scope-mismatch",
            CouncilError::NotOwnName { .. } => "not-own-name",
            CouncilError::NotAdopted(_) => "not-adopted",
            CouncilError::NotResponsible(_) => "not-responsible",
            CouncilError::Overpaid(_) => "exceeds-assessment",
            CouncilError::NoQuotaPostLeft(_) => "no-quota-post-left",
            CouncilError::NotChair(_) => "not-the-chair",
            CouncilError::ReportChanged(_) => "report-changed",
        }
    }
}
