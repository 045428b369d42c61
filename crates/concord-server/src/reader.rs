//! Who is asking: the reader behind a request. A console session's cookie reads as its
//! account; no `Authorization` header and no session reads as the public; `Authorization: Bearer <token>` reads as the token's holder, with the holder's
//! status today; an unknown, revoked or malformed token is refused, never downgraded.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use concord_core::releasability::Reader;

use crate::AppState;
use crate::problem::{Problem, ProblemKind};

/// The reader of the request.
pub struct ReaderOf(pub Reader);

impl FromRequestParts<AppState> for ReaderOf {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        reader_of(state, &parts.headers).await.map(ReaderOf)
    }
}

/// The reader behind a request's headers: its bearer token's holder, its console
/// session's account, or the public.
pub async fn reader_of(state: &AppState, headers: &HeaderMap) -> Result<Reader, Problem> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        // A console session reads as its account.
        return Ok(match crate::console::signed_in(state, headers).await? {
            Some((_, account)) => {
                let today = time::OffsetDateTime::now_utc().date();
                let timeline = state.charter.timeline(state.store.status_records().await?);
                account.reader(&timeline, today)
            }
            None => Reader::Public,
        });
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Problem::new(
                ProblemKind::NotAuthenticated,
                "the Authorization header must be `Bearer <token>`",
            )
        })?;
    let today = time::OffsetDateTime::now_utc().date();
    concord_store::council::reader_for_token(state.store.as_ref(), &state.charter, token, today)
        .await?
        .ok_or_else(|| {
            Problem::new(
                ProblemKind::NotAuthenticated,
                "the token is unknown or revoked",
            )
        })
}
