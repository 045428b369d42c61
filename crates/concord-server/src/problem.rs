//! RFC 9457 problem details: the one error type of the HTTP API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_core::council::CouncilError;
use concord_store::StoreError;
use concord_store::council::CommandError;
use concord_store::ledger::LedgerQueryError;
use concord_store::queries::QueryError;
use serde::Serialize;

/// The kinds of problem the API reports; each has a page at `/problems/{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// No resource at that path.
    NotFound,
    /// The path exists, the method does not.
    MethodNotAllowed,
    /// A query or path parameter is malformed or unknown.
    BadParameter,
    /// A code or identifier is well-formed but names nothing.
    UnknownRecord,
    /// The database holds no organisation yet.
    NotInitialised,
    /// The database failed or is unreachable.
    StoreUnavailable,
    /// A rule of the charter cannot give an answer.
    RuleFailed,
    /// The ledger's stored hashes disagree with each other.
    LedgerInconsistent,
    /// A request body is not the JSON the endpoint takes.
    BadBody,
    /// A command's signature or key does not authorise it.
    NotAuthorised,
    /// The request's credentials are missing what they need, unknown or revoked.
    NotAuthenticated,
    /// A rule of the council refused a command.
    CouncilRule,
    /// The command conflicts with what is recorded (it exists, was replayed, or was
    /// decided already).
    Conflict,
}

impl ProblemKind {
    /// Every kind, for the `/problems` pages.
    pub const ALL: [ProblemKind; 13] = [
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::BadParameter,
        ProblemKind::UnknownRecord,
        ProblemKind::NotInitialised,
        ProblemKind::StoreUnavailable,
        ProblemKind::RuleFailed,
        ProblemKind::LedgerInconsistent,
        ProblemKind::BadBody,
        ProblemKind::NotAuthorised,
        ProblemKind::NotAuthenticated,
        ProblemKind::CouncilRule,
        ProblemKind::Conflict,
    ];

    /// The slug in the type URI.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::BadParameter => "bad-parameter",
            ProblemKind::UnknownRecord => "unknown-record",
            ProblemKind::NotInitialised => "not-initialised",
            ProblemKind::StoreUnavailable => "store-unavailable",
            ProblemKind::RuleFailed => "rule-failed",
            ProblemKind::LedgerInconsistent => "ledger-inconsistent",
            ProblemKind::BadBody => "bad-body",
            ProblemKind::NotAuthorised => "not-authorised",
            ProblemKind::NotAuthenticated => "not-authenticated",
            ProblemKind::CouncilRule => "council-rule",
            ProblemKind::Conflict => "conflict",
        }
    }

    /// A short, fixed summary.
    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::NotFound => "No such resource",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::BadParameter => "Bad parameter",
            ProblemKind::UnknownRecord => "Unknown record",
            ProblemKind::NotInitialised => "Not initialised",
            ProblemKind::StoreUnavailable => "Store unavailable",
            ProblemKind::RuleFailed => "The charter's rule gives no answer",
            ProblemKind::LedgerInconsistent => "Ledger inconsistent",
            ProblemKind::BadBody => "Malformed request body",
            ProblemKind::NotAuthorised => "Signature does not authorise the command",
            ProblemKind::NotAuthenticated => "Credentials refused",
            ProblemKind::CouncilRule => "Refused by a rule of the council",
            ProblemKind::Conflict => "Conflicts with the record",
        }
    }

    /// What it means and what to do, for the documentation page.
    pub fn explanation(self) -> &'static str {
        match self {
            ProblemKind::NotFound => "Nothing is served at this path. The API lives under /api/v1.",
            ProblemKind::MethodNotAllowed => {
                "The path exists but does not accept this HTTP method."
            }
            ProblemKind::BadParameter => {
                "A query or path parameter is malformed or not known to this endpoint; the detail names it and the expected form."
            }
            ProblemKind::UnknownRecord => {
                "The code or identifier is well-formed but names no record (member, session, document) in this organisation."
            }
            ProblemKind::NotInitialised => "The database holds no charter yet. Run `concord init`.",
            ProblemKind::StoreUnavailable => {
                "The database failed or cannot be reached. Nothing was changed; try again."
            }
            ProblemKind::RuleFailed => {
                "The charter's rules cannot answer for this input (for example no member may chair that year)."
            }
            ProblemKind::LedgerInconsistent => {
                "The ledger's stored hashes do not agree with each other: the database was altered outside Concord. Alert the operators."
            }
            ProblemKind::BadBody => {
                "The request body is not the JSON this endpoint takes; the detail says where it fails."
            }
            ProblemKind::NotAuthorised => {
                "Every command is signed with a registered Ed25519 key valid on the day, belonging to whoever may issue it (the secretariat, or the member stating its position). The `rule` member names the check that failed. Nothing was recorded."
            }
            ProblemKind::NotAuthenticated => {
                "The request carries an Authorization header Concord cannot accept: not `Bearer <token>`, or a token that is unknown or revoked. Without the header a request reads as the public."
            }
            ProblemKind::CouncilRule => {
                "The command is well signed, but a rule of the council refuses it (a frozen member's position, an observer's vote, a version not under agreement...). The `rule` member names the rule. Nothing was recorded."
            }
            ProblemKind::Conflict => {
                "The command conflicts with what is recorded: the record exists already, the signature was already used, or the document was decided. Nothing was recorded."
            }
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ProblemKind::NotFound | ProblemKind::UnknownRecord => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::BadParameter => StatusCode::BAD_REQUEST,
            ProblemKind::NotInitialised | ProblemKind::StoreUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ProblemKind::RuleFailed | ProblemKind::CouncilRule => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::BadBody => StatusCode::BAD_REQUEST,
            ProblemKind::NotAuthorised => StatusCode::FORBIDDEN,
            ProblemKind::NotAuthenticated => StatusCode::UNAUTHORIZED,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::LedgerInconsistent => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A problem to report: its kind and a detail saying what exactly went wrong.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The kind.
    pub kind: ProblemKind,
    /// What happened in this request.
    pub detail: String,
    /// For a refused command: the rule that refused it (a problem+json extension member).
    pub rule: Option<&'static str>,
}

impl Problem {
    /// A problem of `kind` with `detail`.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            detail: detail.into(),
            rule: None,
        }
    }

    /// A malformed or unknown parameter.
    pub fn bad_parameter(detail: impl Into<String>) -> Self {
        Problem::new(ProblemKind::BadParameter, detail)
    }

    /// A well-formed identifier naming nothing.
    pub fn unknown(detail: impl Into<String>) -> Self {
        Problem::new(ProblemKind::UnknownRecord, detail)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
}

impl Problem {
    /// The problem details object, for a problem inside a larger answer (one item of a
    /// batch).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).expect("problems serialise")
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    fn body(&self) -> Body<'_> {
        Body {
            kind: format!("/problems/{}", self.kind.slug()),
            title: self.kind.title(),
            status: self.kind.status().as_u16(),
            detail: &self.detail,
            rule: self.rule,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        if status.is_server_error() {
            tracing::warn!(kind = self.kind.slug(), detail = %self.detail, "request failed");
        }
        let mut response = (
            status,
            serde_json::to_string(&self.body()).expect("problems serialise"),
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        Problem::new(ProblemKind::StoreUnavailable, e.to_string())
    }
}

impl From<LedgerQueryError> for Problem {
    fn from(e: LedgerQueryError) -> Self {
        let kind = match &e {
            LedgerQueryError::Store(StoreError::Ledger(_))
            | LedgerQueryError::Ledger(_)
            | LedgerQueryError::Tampered(_) => ProblemKind::LedgerInconsistent,
            LedgerQueryError::Store(_) => ProblemKind::StoreUnavailable,
            LedgerQueryError::OutOfRange(_) => ProblemKind::BadParameter,
        };
        Problem::new(kind, e.to_string())
    }
}

impl From<QueryError> for Problem {
    fn from(e: QueryError) -> Self {
        let kind = match &e {
            QueryError::Store(_) => ProblemKind::StoreUnavailable,
            QueryError::NotInitialised => ProblemKind::NotInitialised,
            QueryError::Rotation(concord_core::RotationError::OutOfRange(_))
            | QueryError::OutOfRange(_) => ProblemKind::BadParameter,
            QueryError::Rotation(_) => ProblemKind::RuleFailed,
            QueryError::UnknownMember(_) => ProblemKind::UnknownRecord,
        };
        Problem::new(kind, e.to_string())
    }
}

impl From<CouncilError> for Problem {
    fn from(e: CouncilError) -> Self {
        let kind = match &e {
            CouncilError::UnknownKey(_)
            | CouncilError::BadSignature(_)
            | CouncilError::OtherLedger(_)
            | CouncilError::KeyNotValid { .. }
            | CouncilError::WrongSigner { .. } => ProblemKind::NotAuthorised,
            CouncilError::Replayed
            | CouncilError::AlreadyStated { .. }
            | CouncilError::AlreadyDecided { .. }
            | CouncilError::AlreadyExists(_) => ProblemKind::Conflict,
            CouncilError::NotFound(_) => ProblemKind::UnknownRecord,
            _ => ProblemKind::CouncilRule,
        };
        Problem {
            kind,
            detail: e.to_string(),
            rule: Some(e.rule()),
        }
    }
}

impl From<CommandError> for Problem {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Council(e) => e.into(),
            CommandError::Query(e) => e.into(),
            CommandError::Ledger(e) => e.into(),
            CommandError::Store(StoreError::Conflict(why)) => {
                Problem::new(ProblemKind::Conflict, why)
            }
            CommandError::Store(e) => e.into(),
            CommandError::Key(e) => Problem::new(ProblemKind::CouncilRule, e.to_string()),
            CommandError::NotDecided(_) => Problem::new(ProblemKind::Conflict, e.to_string()),
            CommandError::NoSuchDocument(_) => Problem::unknown(e.to_string()),
            CommandError::Account(why) => Problem::bad_parameter(why),
        }
    }
}
