//! Whose names are whose: a state names the records it signs (incident reports, its alerts)
//! with its own code first (`kaz-…`), and the secretariat names its alerts with no state's
//! code first. The names of different signers never meet, so a refusal over a name can
//! never tell one state that another's record exists.

use crate::charter::Charter;
use crate::code::Slug;
use crate::keys::KeyOwner;

use super::CouncilError;

/// The prefix every record `owner` names starts with (`kaz-`), none for the secretariat.
pub fn own_prefix(owner: KeyOwner) -> Option<String> {
    match owner {
        KeyOwner::Member(code) => Some(format!("{}-", code.as_str().to_lowercase())),
        KeyOwner::Secretariat => None,
    }
}

/// Refuses `id` unless it is in `owner`'s own names: a state's start with its code, the
/// secretariat's with no state's code of the charter.
pub fn check_own_id(
    charter: &Charter,
    owner: KeyOwner,
    id: &Slug,
    what: &str,
) -> Result<(), CouncilError> {
    let id = id.as_str();
    let own = match own_prefix(owner) {
        Some(prefix) => id.starts_with(&prefix) && id.len() > prefix.len(),
        None => !charter
            .members
            .iter()
            .filter_map(|m| own_prefix(KeyOwner::Member(m.code)))
            .any(|prefix| id.starts_with(&prefix)),
    };
    if own {
        return Ok(());
    }
    Err(CouncilError::NotOwnName {
        what: what.to_owned(),
        rule: match own_prefix(owner) {
            Some(prefix) => format!("of {owner} is named `{prefix}…`"),
            None => "of the secretariat is named with no state's code first".to_owned(),
        },
    })
}
