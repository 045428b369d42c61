//! Identifiers: ISO 3166-1 alpha-3 state codes and the slugs that name everything else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not three upper-case ASCII letters.
    #[error("`{0}` is not an ISO 3166-1 alpha-3 code (three capital letters, e.g. BLR)")]
    NotAlpha3(String),
    /// Not a lower-case slug.
    #[error(
        "`{0}` is not an identifier: use lower-case letters, digits and single hyphens (e.g. csc-2017-11-30)"
    )]
    NotSlug(String),
}

/// A state's ISO 3166-1 alpha-3 code (`BLR`, `KAZ`): how members, partners and observers
/// are named everywhere in Concord.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberCode([u8; 3]);

impl MemberCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The constructor admits only ASCII capitals.
        std::str::from_utf8(&self.0).expect("member codes are ASCII")
    }
}

impl FromStr for MemberCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(MemberCode([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(CodeError::NotAlpha3(s.to_owned()))
        }
    }
}

impl TryFrom<String> for MemberCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<MemberCode> for String {
    fn from(code: MemberCode) -> String {
        code.as_str().to_owned()
    }
}

impl fmt::Display for MemberCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MemberCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberCode({})", self.as_str())
    }
}

/// A stable, readable identifier for a body, post, session, document or other record
/// (`csc`, `secretary-general`, `csc-2023-minsk`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Slug {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let well_formed = !s.is_empty()
            && s.len() <= 120
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if well_formed {
            Ok(Slug(s.to_owned()))
        } else {
            Err(CodeError::NotSlug(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Slug {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> String {
        slug.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slug({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn member_codes_are_three_capitals() {
        assert_eq!("BLR".parse::<MemberCode>().unwrap().as_str(), "BLR");
        for bad in ["blr", "BL", "BLRS", "B1R", "", "БЕЛ"] {
            assert!(bad.parse::<MemberCode>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn slugs_refuse_odd_shapes() {
        assert!("csc-2017-11-30".parse::<Slug>().is_ok());
        for bad in ["", "CSC", "a--b", "-a", "a-", "a b", "a_b"] {
            assert!(bad.parse::<Slug>().is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn member_code_parse_never_panics_and_round_trips(s in "\\PC{0,6}") {
            if let Ok(code) = s.parse::<MemberCode>() {
                prop_assert_eq!(code.as_str(), s.as_str());
            }
        }

        #[test]
        fn slug_parse_round_trips(s in "[a-z0-9-]{0,12}") {
            if let Ok(slug) = s.parse::<Slug>() {
                prop_assert_eq!(slug.as_str(), s.as_str());
                prop_assert!(!slug.as_str().contains("--"));
            }
        }
    }
}

#[cfg(feature = "openapi")]
mod schemas {
    //! The codes as OpenAPI strings with their patterns.
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

    fn string(pattern: &str, description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
            .description(Some(description))
            .into()
    }

    impl utoipa::PartialSchema for super::MemberCode {
        fn schema() -> RefOr<Schema> {
            string("^[A-Z]{3}$", "ISO 3166-1 alpha-3 code of a state")
        }
    }
    impl utoipa::ToSchema for super::MemberCode {}

    impl utoipa::PartialSchema for super::Slug {
        fn schema() -> RefOr<Schema> {
            string(
                "^[a-z0-9][a-z0-9-]*$",
                "Identifier: lowercase letters, digits and hyphens",
            )
        }
    }
    impl utoipa::ToSchema for super::Slug {}
}
