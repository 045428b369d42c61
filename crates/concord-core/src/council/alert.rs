//! Alerts: CAP 1.2 messages the crisis-response centre or a member's national crisis
//! centre issues to the national centres, imported from a national warning service or
//! written for the organisation. The signed command carries the CAP XML itself, so the
//! ledger keeps exactly what was signed; its CAP `scope` and its releasability must agree.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::code::Slug;
use crate::event::Event;
use crate::keys::KeyOwner;
use crate::releasability::Releasability;

use super::{Council, CouncilError, SignedCommand, State};

/// Issues an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueAlert {
    /// Concord's identifier for the alert.
    pub id: Slug,
    /// The CAP 1.2 message, XML, as signed.
    pub cap: String,
    /// Who may read it; when absent, from the CAP scope: `Public` → public, `Restricted`
    /// → members, `Private` → the issuer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releasability: Option<Releasability>,
    /// The situation it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub situation: Option<Slug>,
}

/// An alert as logged: the command with its signature, who issued it, and to whom it is
/// released.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuedAlert {
    /// The command as signed.
    pub alert: IssueAlert,
    /// The issuer's seal over the `issue-alert` command.
    pub seal: super::Seal,
    /// Whose key signed it.
    pub issuer: KeyOwner,
    /// To whom it is released (given, or from the CAP scope).
    pub releasability: Releasability,
    /// When it was received.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl IssuedAlert {
    /// The CAP message (checked when the alert was issued).
    pub fn message(&self) -> Result<concord_cap::Alert, concord_cap::CapError> {
        concord_cap::parse(self.alert.cap.as_bytes())
    }
}

/// The releasability a CAP scope implies.
pub fn releasability_of(scope: concord_cap::Scope) -> Releasability {
    match scope {
        concord_cap::Scope::Public => Releasability::Public,
        concord_cap::Scope::Restricted => Releasability::Members,
        concord_cap::Scope::Private => Releasability::Originator,
    }
}

impl Council<'_> {
    pub(super) fn issue_alert(
        &self,
        signed: &SignedCommand,
        c: &IssueAlert,
        issuer: KeyOwner,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        // The issuer's status was checked with its seal. Its names come first, before
        // anything that depends on what is recorded under that name.
        super::check_own_id(self.charter, issuer, &c.id, "an alert")?;
        if state.alert.is_some() {
            return Err(CouncilError::AlreadyExists(format!("alert {}", c.id)));
        }
        let message = concord_cap::parse(c.cap.as_bytes())
            .map_err(|e| CouncilError::NotCap12(e.to_string()))?;
        let public_scope = message.scope == concord_cap::Scope::Public;
        let releasability = match &c.releasability {
            None => releasability_of(message.scope),
            Some(r) if (*r == Releasability::Public) != public_scope => {
                return Err(CouncilError::ScopeMismatch(format!(
                    "the CAP scope is {} but the alert is released to {}: a public alert has scope Public, and only a public one",
                    message.scope.as_str(),
                    crate::releasability::describe(r),
                )));
            }
            Some(r) => r.clone(),
        };
        if let Releasability::Group(g) = &releasability
            && !self.charter.sharing_groups.iter().any(|s| &s.code == g)
        {
            return Err(CouncilError::NotInCharter(format!(
                "the charter has no sharing group `{g}`"
            )));
        }
        if let Some(situation) = &c.situation
            && state.situation.id.as_ref() != Some(situation)
        {
            return Err(CouncilError::NotFound(format!("situation {situation}")));
        }
        Ok(vec![Event::AlertIssued(Box::new(IssuedAlert {
            alert: c.clone(),
            seal: signed.seal.clone(),
            issuer,
            releasability,
            at: now,
        }))])
    }
}
