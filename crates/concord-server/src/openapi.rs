//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' own
//! declarations (`#[utoipa::path]`, which the router also takes its paths from, so the two
//! cannot drift), served at `/api/v1/openapi.json`.

use utoipa::{IntoResponses, OpenApi, ToSchema};

/// An RFC 9457 problem, as every error of the API is written.
#[derive(ToSchema)]
#[schema(title = "Problem")]
#[allow(dead_code)]
pub struct ProblemDoc {
    /// `/problems/{kind}`, a page explaining the kind.
    #[schema(rename = "type")]
    kind: String,
    /// The kind in words.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What exactly went wrong.
    detail: String,
    /// For a refused command, the rule that refused it.
    rule: Option<String>,
}

/// The versions of one incident report the reader may read, oldest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct IncidentVersions {
    /// The report.
    id: String,
    /// Its versions the reader may read (each with its own releasability).
    versions: Vec<concord_core::council::SignedIncident>,
}

/// What any read may answer besides its result.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    /// A parameter is malformed or unknown.
    #[response(status = 400, content_type = "application/problem+json")]
    BadParameter(ProblemDoc),
    /// The Authorization header is not `Bearer <token>`, or the token is unknown or
    /// revoked.
    #[response(status = 401, content_type = "application/problem+json")]
    NotAuthenticated(ProblemDoc),
    /// No such record (or none the reader may read).
    #[response(status = 404, content_type = "application/problem+json")]
    UnknownRecord(ProblemDoc),
    /// The record cannot answer yet (a document not decided has no bundle).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(ProblemDoc),
    /// The charter's rules cannot answer.
    #[response(status = 422, content_type = "application/problem+json")]
    RuleFailed(ProblemDoc),
    /// The ledger's stored hashes disagree: the database was altered.
    #[response(status = 500, content_type = "application/problem+json")]
    LedgerInconsistent(ProblemDoc),
    /// The database is not initialised or not reachable.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(ProblemDoc),
}

/// What a signed command may answer besides its result.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CommandErrors {
    /// The body is not a signed command of this endpoint.
    #[response(status = 400, content_type = "application/problem+json")]
    BadBody(ProblemDoc),
    /// The signature or key does not authorise the command.
    #[response(status = 403, content_type = "application/problem+json")]
    NotAuthorised(ProblemDoc),
    /// What the command names does not exist.
    #[response(status = 404, content_type = "application/problem+json")]
    UnknownRecord(ProblemDoc),
    /// It conflicts with the record (exists, replayed, decided).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(ProblemDoc),
    /// A rule of the council refused it; `rule` names the rule.
    #[response(status = 422, content_type = "application/problem+json")]
    CouncilRule(ProblemDoc),
    /// The ledger's stored hashes disagree: the database was altered.
    #[response(status = 500, content_type = "application/problem+json")]
    LedgerInconsistent(ProblemDoc),
    /// The database is not initialised or not reachable.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(ProblemDoc),
}

/// The document's frame: title, version, tags.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Concord",
        description = "The information system of a collective-security organisation: registry, council work with signed positions, crisis response, and a tamper-evident ledger. Reads without credentials are the public's; `Authorization: Bearer <token>` reads as the token's holder; a console session's cookie reads as its account. Every error is RFC 9457 problem+json.",
        license(name = "Apache-2.0")
    ),
    components(schemas(ProblemDoc)),
    tags(
        (name = "registry", description = "Member states, bodies, posts, the chairmanship"),
        (name = "council", description = "Sessions, documents, signed positions, decisions, bundles"),
        (name = "crisis", description = "Incident reports, alerts, situations, requests for assistance"),
        (name = "ledger", description = "The append-only log: checkpoints, proofs, entries, the live stream"),
    )
)]
pub struct ApiDoc;
