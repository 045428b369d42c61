//! RFC 9457 problem details: the one error type of the HTTP API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_store::StoreError;
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
}

impl ProblemKind {
    /// Every kind, for the `/problems` pages.
    pub const ALL: [ProblemKind; 8] = [
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::BadParameter,
        ProblemKind::UnknownRecord,
        ProblemKind::NotInitialised,
        ProblemKind::StoreUnavailable,
        ProblemKind::RuleFailed,
        ProblemKind::LedgerInconsistent,
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
            ProblemKind::RuleFailed => StatusCode::UNPROCESSABLE_ENTITY,
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
}

impl Problem {
    /// A problem of `kind` with `detail`.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            detail: detail.into(),
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
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        if status.is_server_error() {
            tracing::warn!(kind = self.kind.slug(), detail = %self.detail, "request failed");
        }
        let body = Body {
            kind: format!("/problems/{}", self.kind.slug()),
            title: self.kind.title(),
            status: status.as_u16(),
            detail: &self.detail,
        };
        let mut response = (
            status,
            serde_json::to_string(&body).expect("problems serialise"),
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
