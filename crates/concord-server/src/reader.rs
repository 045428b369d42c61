//! Who is asking: the reader behind a request. A console session's cookie reads as its
//! account; no `Authorization` header and no session reads as the public; `Authorization: Bearer <token>` reads as the token's holder, with the holder's
//! status today; an unknown, revoked or malformed token is refused, never downgraded.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use concord_core::releasability::Reader;

use crate::AppState;
use crate::problem::{Problem, ProblemKind};

/// The reader of the request.
pub struct ReaderOf(pub Reader);

impl FromRequestParts<AppState> for ReaderOf {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            // A console session reads as its account.
            return Ok(ReaderOf(
                match crate::console::signed_in(state, &parts.headers).await? {
                    Some((_, account)) => {
                        let today = time::OffsetDateTime::now_utc().date();
                        let timeline = state.charter.timeline(state.store.status_records().await?);
                        account.reader(&timeline, today)
                    }
                    None => Reader::Public,
                },
            ));
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
        match concord_store::council::reader_for_token(
            state.store.as_ref(),
            &state.charter,
            token,
            today,
        )
        .await?
        {
            Some(reader) => Ok(ReaderOf(reader)),
            None => Err(Problem::new(
                ProblemKind::NotAuthenticated,
                "the token is unknown or revoked",
            )),
        }
    }
}
