//! People's accounts for the console: who they are, whom they belong to (a state's
//! delegation or crisis centre, the secretariat, or the public), their roles, and the
//! language they read in. An account's rights are recorded on the ledger; its password is
//! not (the store keeps only an Argon2id hash beside it).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::code::MemberCode;
use crate::date;
use crate::registry::StatusTimeline;
use crate::releasability::Reader;

/// Whom an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Affiliation {
    /// A state's officials: its delegation, foreign ministry or national crisis centre
    /// (a member's, or a partner's or observer's).
    State(MemberCode),
    /// The secretariat and its crisis-response centre.
    Secretariat,
    /// Nobody's: reads what is public (a journalist with an account for the press centre).
    Public,
}

impl FromStr for Affiliation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "secretariat" => Ok(Affiliation::Secretariat),
            "public" => Ok(Affiliation::Public),
            code => code.parse().map(Affiliation::State).map_err(|_| {
                format!(
                    "`{s}` is not an affiliation: a state's code (KAZ), `secretariat` or `public`"
                )
            }),
        }
    }
}

impl fmt::Display for Affiliation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Affiliation::State(code) => f.write_str(code.as_str()),
            Affiliation::Secretariat => f.write_str("secretariat"),
            Affiliation::Public => f.write_str("public"),
        }
    }
}

impl TryFrom<String> for Affiliation {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Affiliation> for String {
    fn from(a: Affiliation) -> String {
        a.to_string()
    }
}

/// What a person does in the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Heads a state's delegation: states its position on documents.
    HeadOfDelegation,
    /// A foreign ministry's officer.
    ForeignMinistryOfficer,
    /// On duty in a national crisis centre: reports incidents, receives alerts.
    DutyOfficer,
    /// Analyses in a national crisis centre.
    CrisisCentreAnalyst,
    /// Runs the council's procedure and the crisis-response centre.
    SecretariatOfficer,
    /// Publishes for the joint press centre.
    PressOfficer,
    /// Reads the ledger and checks it; changes nothing.
    Auditor,
    /// Manages accounts and their rights.
    Administrator,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::HeadOfDelegation,
        Role::ForeignMinistryOfficer,
        Role::DutyOfficer,
        Role::CrisisCentreAnalyst,
        Role::SecretariatOfficer,
        Role::PressOfficer,
        Role::Auditor,
        Role::Administrator,
    ];

    /// The role as written (`duty-officer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::HeadOfDelegation => "head-of-delegation",
            Role::ForeignMinistryOfficer => "foreign-ministry-officer",
            Role::DutyOfficer => "duty-officer",
            Role::CrisisCentreAnalyst => "crisis-centre-analyst",
            Role::SecretariatOfficer => "secretariat-officer",
            Role::PressOfficer => "press-officer",
            Role::Auditor => "auditor",
            Role::Administrator => "administrator",
        }
    }

    /// Whether someone of `affiliation` may hold the role: a state's roles go with a
    /// state, the secretariat's with the secretariat; an auditor may come from anywhere
    /// but the public.
    pub fn fits(self, affiliation: Affiliation) -> bool {
        match self {
            Role::HeadOfDelegation
            | Role::ForeignMinistryOfficer
            | Role::DutyOfficer
            | Role::CrisisCentreAnalyst => matches!(affiliation, Affiliation::State(_)),
            Role::SecretariatOfficer | Role::Administrator => {
                affiliation == Affiliation::Secretariat
            }
            Role::PressOfficer => affiliation == Affiliation::Secretariat,
            Role::Auditor => affiliation != Affiliation::Public,
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("`{s}` is not a role: {}", all.join(", "))
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The languages of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Russian, the organisation's working language.
    #[default]
    Ru,
    /// English.
    En,
}

impl FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ru" => Ok(Language::Ru),
            "en" => Ok(Language::En),
            _ => Err(format!("`{s}` is not a console language: ru or en")),
        }
    }
}

impl Language {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Ru => "ru",
            Language::En => "en",
        }
    }
}

/// A person's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// What they sign in with: lowercase letters, digits, `.`, `_`, `-`; 3 to 64.
    pub username: String,
    /// Their name as shown.
    pub name: String,
    /// Whom they belong to.
    pub affiliation: Affiliation,
    /// What they do.
    pub roles: Vec<Role>,
    /// The language they read the console in.
    pub language: Language,
    /// The day the account was opened.
    #[serde(with = "date::day")]
    pub opened_on: Date,
}

/// Why an account or a change of rights is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The username is not of the allowed form.
    #[error(
        "`{0}` is not a username: 3 to 64 lowercase letters, digits, `.`, `_` or `-`, starting with a letter"
    )]
    Username(String),
    /// No role given.
    #[error("an account has at least one role")]
    NoRole,
    /// A role that does not go with the affiliation.
    #[error("the role {role} does not belong to {affiliation}")]
    RoleMisfit {
        /// The role.
        role: Role,
        /// The affiliation.
        affiliation: Affiliation,
    },
    /// The name is empty.
    #[error("an account has a name")]
    NoName,
}

/// Checks a username's form.
pub fn check_username(username: &str) -> Result<(), AccountError> {
    let ok = (3..=64).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Username(username.to_owned()))
    }
}

/// Checks that roles go with an affiliation.
pub fn check_roles(roles: &[Role], affiliation: Affiliation) -> Result<(), AccountError> {
    if roles.is_empty() {
        return Err(AccountError::NoRole);
    }
    match roles.iter().find(|r| !r.fits(affiliation)) {
        Some(role) => Err(AccountError::RoleMisfit {
            role: *role,
            affiliation,
        }),
        None => Ok(()),
    }
}

impl Account {
    /// Checks the account's form and rights.
    pub fn check(&self) -> Result<(), AccountError> {
        check_username(&self.username)?;
        if self.name.trim().is_empty() {
            return Err(AccountError::NoName);
        }
        check_roles(&self.roles, self.affiliation)
    }

    /// Whether the account holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Who the person reads as on `day`: their state with its status that day, the
    /// secretariat, or the public.
    pub fn reader(&self, timeline: &StatusTimeline, day: Date) -> Reader {
        crate::access::reader_for(self.affiliation, &self.roles, timeline, day)
    }
}

/// A change to an account, as logged: opened, its rights changed, closed, a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum AccountChange {
    /// Opened.
    Opened {
        /// The account.
        account: Account,
        /// Who opened it: an administrator's username, or `operator` (the command line).
        by: String,
    },
    /// New roles.
    RolesChanged {
        /// The account, with its roles from now on.
        account: Account,
        /// Who changed them.
        by: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Its holder chose the console's language.
    LanguageChosen {
        /// The account, with its language from now on.
        account: Account,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Closed: it signs in no more.
    Closed {
        /// The account.
        username: String,
        /// Who closed it.
        by: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Signed in to the console.
    SignedIn {
        /// The account.
        username: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl AccountChange {
    /// The account changed.
    pub fn username(&self) -> &str {
        match self {
            AccountChange::Opened { account, .. }
            | AccountChange::RolesChanged { account, .. }
            | AccountChange::LanguageChosen { account, .. } => &account.username,
            AccountChange::Closed { username, .. } | AccountChange::SignedIn { username, .. } => {
                username
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(affiliation: &str, roles: &[&str]) -> Account {
        Account {
            username: "a.ivanova".into(),
            name: "Anna Ivanova".into(),
            affiliation: affiliation.parse().unwrap(),
            roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
            language: Language::Ru,
            opened_on: time::macros::date!(2026 - 11 - 23),
        }
    }

    #[test]
    fn roles_go_with_their_affiliation() {
        assert!(
            account("KAZ", &["duty-officer", "crisis-centre-analyst"])
                .check()
                .is_ok()
        );
        assert!(
            account("secretariat", &["administrator", "press-officer"])
                .check()
                .is_ok()
        );
        assert!(account("KAZ", &["auditor"]).check().is_ok());
        assert_eq!(
            account("KAZ", &["administrator"]).check(),
            Err(AccountError::RoleMisfit {
                role: Role::Administrator,
                affiliation: Affiliation::State("KAZ".parse().unwrap())
            })
        );
        assert!(account("secretariat", &["duty-officer"]).check().is_err());
        assert!(account("public", &["auditor"]).check().is_err());
        assert_eq!(account("KAZ", &[]).check(), Err(AccountError::NoRole));
    }

    #[test]
    fn usernames_are_plain() {
        for good in ["admin", "a.ivanova", "kz_duty-2"] {
            assert!(check_username(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "Admin",
            "1admin",
            "a b",
            "анна",
            "a@b",
            &"a".repeat(65),
        ] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_role_reads_back() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::Value::String(role.as_str().into())
            );
        }
        assert!("king".parse::<Role>().is_err());
    }
}
