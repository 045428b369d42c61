//! The organisation's own year: programmes and action plans carried out item by item, the
//! budget and each member's contribution, the secretariat's quota posts, and the chair's
//! annual report. Each starts from a document adopted by the council's procedure and goes
//! on by signed commands decided here, like every other write.

pub mod apportion;
pub mod budget;
pub mod chair;
pub mod money;
pub mod programme;
pub mod quota;

use serde::{Deserialize, Serialize};

use crate::code::{MemberCode, Slug};
use crate::consensus::Outcome;
use crate::council::{CouncilError, DocumentFile, State};
use crate::registry::MemberStatus;

pub use budget::*;
pub use chair::*;
pub use money::*;
pub use programme::*;
pub use quota::*;

/// Who answers for an item: a member state, or a body of the organisation (whose reports
/// the secretariat signs).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Party {
    /// A member state.
    Member(MemberCode),
    /// A body of the charter.
    Body(Slug),
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Party::Member(m) => write!(f, "{m}"),
            Party::Body(b) => write!(f, "{b}"),
        }
    }
}

/// A currency, ISO 4217 (three capital letters).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Currency, String> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(s))
        } else {
            Err(format!(
                "`{s}` is not a currency: write its ISO 4217 code, e.g. RUB"
            ))
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The statuses that owe a budget share and hold quota posts: a frozen member remains a
/// member in law, with its payment obligations (DOMAIN-NOTES).
pub const OBLIGED: [MemberStatus; 2] = [MemberStatus::Member, MemberStatus::Frozen];

/// The adopted document a command builds on: it must exist, be of one of `types` (any type
/// if empty), and have been adopted by the council's procedure.
pub(crate) fn adopted<'s>(
    state: &'s State,
    id: &Slug,
    types: &[&str],
) -> Result<&'s DocumentFile, CouncilError> {
    let file = state
        .document
        .as_ref()
        .filter(|f| &f.document.id == id)
        .ok_or_else(|| CouncilError::NotFound(format!("document {id}")))?;
    if !types.is_empty() && !types.contains(&file.document.doc_type.as_str()) {
        return Err(CouncilError::NotAdopted(format!(
            "document {id} is a {}, not a {}",
            file.document.doc_type,
            types.join(" or ")
        )));
    }
    match &file.decision {
        Some(d) if d.outcome == Outcome::Adopted => Ok(file),
        Some(_) => Err(CouncilError::NotAdopted(format!(
            "document {id} was blocked: nothing can be carried out under it"
        ))),
        None => Err(CouncilError::NotAdopted(format!(
            "document {id} has not been adopted by its body's rule"
        ))),
    }
}

/// Refuses a text that is blank in either language or longer than `max` characters: what a
/// person reads must say something, and stay a size a page can show.
pub(crate) fn said(what: &str, text: &crate::text::Text, max: usize) -> Result<(), CouncilError> {
    for (lang, t) in [("English", &text.en), ("Russian", &text.ru)] {
        if t.trim().is_empty() {
            return Err(CouncilError::OutOfOrder(format!(
                "{what} is blank in {lang}"
            )));
        }
        if t.chars().count() > max {
            return Err(CouncilError::OutOfOrder(format!(
                "{what} is longer than {max} characters in {lang}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Text;

    #[test]
    fn a_text_says_something_in_both_languages_within_its_size() {
        assert!(said("x", &Text::new("Secure borders", "Надёжные границы"), 50).is_ok());
        let blank = said("the title", &Text::new("Title", "  "), 50).unwrap_err();
        assert_eq!(blank.rule(), "out-of-order");
        assert!(blank.to_string().contains("blank in Russian"), "{blank}");
        let long = said("the title", &Text::new("x".repeat(51), "y"), 50).unwrap_err();
        assert!(long.to_string().contains("longer than 50"), "{long}");
        // Characters, not bytes: 50 Cyrillic letters fit.
        assert!(said("x", &Text::new("a", "я".repeat(50)), 50).is_ok());
    }
}
