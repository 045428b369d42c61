//! API tokens for programs: a bearer secret that stands for one holder (a state's officials,
//! or the secretariat) in one role. Only the token's SHA-256 is kept; the token itself is
//! shown once, when issued.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::code::Slug;
use crate::date;
use crate::keys::KeyOwner;
use crate::registry::StatusTimeline;
use crate::releasability::Reader;

/// What every token starts with, so leaked ones are easy to recognise.
pub const PREFIX: &str = "cct_";

/// An issued token, as recorded (without the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// Short identifier, for listing and revoking.
    pub id: String,
    /// Whose officials it stands for.
    pub holder: KeyOwner,
    /// Their role (`duty-officer`, `crisis-centre-analyst`…).
    pub role: Slug,
    /// What it is for, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// SHA-256 of the token, hex.
    pub sha256: String,
    /// The day it was issued.
    #[serde(with = "date::day")]
    pub issued_on: Date,
}

/// A token's revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRevocation {
    /// The token.
    pub id: String,
    /// The day.
    #[serde(with = "date::day")]
    pub on: Date,
}

impl ApiToken {
    /// Who the holder reads as on `day`: a state with its status that day, or the
    /// secretariat. A state the registry does not know reads as the public.
    pub fn reader(&self, timeline: &StatusTimeline, day: Date) -> Reader {
        let affiliation = match self.holder {
            KeyOwner::Secretariat => crate::accounts::Affiliation::Secretariat,
            KeyOwner::Member(code) => crate::accounts::Affiliation::State(code),
        };
        // A role Concord does not know gives no right to read beyond the public's.
        let roles: Vec<crate::accounts::Role> = self.role.as_str().parse().into_iter().collect();
        crate::access::reader_for(affiliation, &roles, timeline, day)
    }
}
