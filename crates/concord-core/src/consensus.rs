//! The consensus rule: from each state's status, attendance and signed position, whether a
//! document is adopted, blocked (and by whom), or still awaiting positions.
//!
//! This is the one place the rule is computed. The council applies it to decide, and
//! `concord verify` applies it again, offline, to the facts a bundle carries.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::charter::DecisionRule;
use crate::code::{MemberCode, Slug};
use crate::date;
use crate::history::Attendance;
use crate::registry::MemberStatus;

/// What a member says of a circulated version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stance {
    /// It agrees (its head of delegation signs).
    Agree,
    /// It objects, and so blocks consensus.
    Object,
    /// It stays out: neither agrees nor blocks, and is not bound.
    NoInterest,
}

impl Stance {
    /// The written form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Stance::Agree => "agree",
            Stance::Object => "object",
            Stance::NoInterest => "no-interest",
        }
    }
}

/// A member's position on one version of a document: the statement its key signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// The document.
    pub document: Slug,
    /// The version, from 1.
    pub version: u32,
    /// SHA-256 of the version's canonical form, hex: what is agreed to.
    pub hash: String,
    /// The member stating it.
    pub member: MemberCode,
    /// Agree, object or no interest.
    pub stance: Stance,
    /// Why it objects (required for an objection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who signs: the head of delegation or the foreign ministry, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory: Option<String>,
    /// The day it was signed.
    #[serde(with = "date::day")]
    pub signed_on: Date,
}

/// A position with the member's signature over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedPosition {
    /// The statement.
    pub position: Position,
    /// The member's seal over the `record-position` command carrying `position`.
    pub seal: crate::council::Seal,
}

/// One state's standing when the rule is applied: the registry facts the rule uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The state.
    pub member: MemberCode,
    /// Its status on the day of the decision.
    pub status: MemberStatus,
    /// Its attendance at the session, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendance: Option<Attendance>,
    /// Its signed position on the version decided, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<SignedPosition>,
}

/// Why a member blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum BlockReason {
    /// It objected.
    Objected {
        /// Its stated reason.
        reason: String,
    },
    /// It neither attended nor agreed in advance.
    AbsentWithoutAgreement,
}

/// A member whose standing prevents consensus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    /// The state.
    pub member: MemberCode,
    /// Why.
    #[serde(flatten)]
    pub reason: BlockReason,
}

/// The outcome of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every voting member agreed or declared no interest.
    Adopted,
    /// At least one voting member blocked.
    Blocked,
}

/// The rule applied to the ballots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Voting members that agreed.
    pub agreed: Vec<MemberCode>,
    /// Voting members that declared no interest (not bound).
    pub no_interest: Vec<MemberCode>,
    /// Members that block, and why.
    pub blockers: Vec<Blocker>,
    /// Voting members with no position yet.
    pub awaiting: Vec<MemberCode>,
    /// States not counted, with their status (frozen, observers, partners...).
    pub not_counted: Vec<(MemberCode, MemberStatus)>,
}

impl Tally {
    /// The outcome, once one can be stated: blocked as soon as anyone blocks; adopted when
    /// nobody is awaited and at least one member agreed; otherwise `None` (not yet).
    pub fn outcome(&self) -> Option<Outcome> {
        if !self.blockers.is_empty() {
            Some(Outcome::Blocked)
        } else if self.awaiting.is_empty() && !self.agreed.is_empty() {
            Some(Outcome::Adopted)
        } else {
            None
        }
    }
}

/// Applies `rule` to `ballots`.
pub fn tally(rule: &DecisionRule, ballots: &[Ballot]) -> Tally {
    let mut tally = Tally {
        agreed: vec![],
        no_interest: vec![],
        blockers: vec![],
        awaiting: vec![],
        not_counted: vec![],
    };
    for ballot in ballots {
        if !rule.voters.contains(&ballot.status) {
            tally.not_counted.push((ballot.member, ballot.status));
            continue;
        }
        let absent = match ballot.attendance {
            Some(Attendance::Absent) => true,
            Some(Attendance::AbsentAgreed) => !rule.advance_agreement,
            _ => false,
        };
        match ballot.position.as_ref().map(|p| &p.position) {
            Some(p) if p.stance == Stance::Object => tally.blockers.push(Blocker {
                member: ballot.member,
                reason: BlockReason::Objected {
                    reason: p.reason.clone().unwrap_or_default(),
                },
            }),
            Some(_) if absent && rule.absent_blocks => tally.blockers.push(Blocker {
                member: ballot.member,
                reason: BlockReason::AbsentWithoutAgreement,
            }),
            Some(p) if p.stance == Stance::NoInterest && rule.no_interest => {
                tally.no_interest.push(ballot.member)
            }
            Some(p) if p.stance == Stance::Agree => tally.agreed.push(ballot.member),
            Some(_) => tally.awaiting.push(ballot.member),
            None if absent && rule.absent_blocks => tally.blockers.push(Blocker {
                member: ballot.member,
                reason: BlockReason::AbsentWithoutAgreement,
            }),
            None => tally.awaiting.push(ballot.member),
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Text;
    use proptest::prelude::*;
    use time::macros::date;

    fn rule() -> DecisionRule {
        DecisionRule {
            name: Text::new("Consensus", "Консенсус"),
            voters: vec![MemberStatus::Member],
            advance_agreement: true,
            no_interest: true,
            absent_blocks: true,
            fast_track_hours: None,
            without_session: false,
        }
    }

    fn ballot(
        code: &str,
        status: MemberStatus,
        att: Option<Attendance>,
        stance: Option<Stance>,
    ) -> Ballot {
        let member: MemberCode = code.parse().unwrap();
        Ballot {
            member,
            status,
            attendance: att,
            position: stance.map(|stance| SignedPosition {
                position: Position {
                    document: "d".parse().unwrap(),
                    version: 1,
                    hash: "00".into(),
                    member,
                    stance,
                    reason: (stance == Stance::Object).then(|| "no".into()),
                    signatory: None,
                    signed_on: date!(2024 - 11 - 28),
                },
                seal: crate::council::Seal {
                    key: "k".into(),
                    issued_at: "2024-11-28T00:00:00Z".into(),
                    nonce: "n".repeat(22),
                    signature: String::new(),
                    node_origin: None,
                },
            }),
        }
    }

    #[test]
    fn five_agree_while_the_sixth_is_frozen() {
        let mut ballots: Vec<Ballot> = ["BLR", "KAZ", "KGZ", "RUS", "TJK"]
            .iter()
            .map(|c| {
                ballot(
                    c,
                    MemberStatus::Member,
                    Some(Attendance::Present),
                    Some(Stance::Agree),
                )
            })
            .collect();
        ballots.push(ballot(
            "ARM",
            MemberStatus::Frozen,
            Some(Attendance::Frozen),
            None,
        ));
        let t = tally(&rule(), &ballots);
        assert_eq!(t.outcome(), Some(Outcome::Adopted));
        assert_eq!(
            t.not_counted,
            vec![("ARM".parse().unwrap(), MemberStatus::Frozen)]
        );
    }

    #[test]
    fn absent_agreed_counts_absent_blocks_objection_blocks() {
        let agreed_absent = ballot(
            "ARM",
            MemberStatus::Member,
            Some(Attendance::AbsentAgreed),
            Some(Stance::Agree),
        );
        let present = ballot(
            "KAZ",
            MemberStatus::Member,
            Some(Attendance::Present),
            Some(Stance::Agree),
        );
        assert_eq!(
            tally(&rule(), &[agreed_absent.clone(), present.clone()]).outcome(),
            Some(Outcome::Adopted)
        );

        let absent = ballot("KGZ", MemberStatus::Member, Some(Attendance::Absent), None);
        let t = tally(&rule(), &[present.clone(), absent]);
        assert_eq!(t.outcome(), Some(Outcome::Blocked));
        assert_eq!(t.blockers[0].reason, BlockReason::AbsentWithoutAgreement);

        let objects = ballot(
            "RUS",
            MemberStatus::Member,
            Some(Attendance::Present),
            Some(Stance::Object),
        );
        let t = tally(&rule(), &[present.clone(), objects]);
        assert_eq!(t.blockers[0].member.as_str(), "RUS");

        let observer = ballot(
            "SRB",
            MemberStatus::Observer,
            Some(Attendance::Present),
            Some(Stance::Object),
        );
        assert_eq!(
            tally(&rule(), &[present, observer]).outcome(),
            Some(Outcome::Adopted)
        );
    }

    #[test]
    fn awaiting_until_everyone_has_spoken() {
        let present = ballot(
            "KAZ",
            MemberStatus::Member,
            Some(Attendance::Present),
            Some(Stance::Agree),
        );
        let silent = ballot("KGZ", MemberStatus::Member, Some(Attendance::Present), None);
        let t = tally(&rule(), &[present, silent]);
        assert_eq!(t.outcome(), None);
        assert_eq!(t.awaiting[0].as_str(), "KGZ");
    }

    fn any_ballot() -> impl Strategy<Value = Ballot> {
        let codes =
            prop::sample::select(vec!["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "SRB", "AFG"]);
        let status = prop::sample::select(vec![
            MemberStatus::Member,
            MemberStatus::Frozen,
            MemberStatus::Observer,
            MemberStatus::Partner,
        ]);
        let att = prop::option::of(prop::sample::select(vec![
            Attendance::Present,
            Attendance::Absent,
            Attendance::AbsentAgreed,
            Attendance::Frozen,
        ]));
        let stance = prop::option::of(prop::sample::select(vec![
            Stance::Agree,
            Stance::Object,
            Stance::NoInterest,
        ]));
        (codes, status, att, stance).prop_map(|(c, s, a, st)| ballot(c, s, a, st))
    }

    proptest! {
        /// Only voting members matter: adding non-voters never changes the outcome, and a
        /// single objection by a voter always blocks.
        #[test]
        fn non_voters_never_matter_and_one_objection_blocks(ballots in prop::collection::vec(any_ballot(), 0..10)) {
            let voters: Vec<Ballot> = ballots.iter().filter(|b| b.status == MemberStatus::Member).cloned().collect();
            prop_assert_eq!(tally(&rule(), &ballots).outcome(), tally(&rule(), &voters).outcome());
            let mut with_objection = ballots.clone();
            with_objection.push(ballot("TJK", MemberStatus::Member, Some(Attendance::Present), Some(Stance::Object)));
            prop_assert_eq!(tally(&rule(), &with_objection).outcome(), Some(Outcome::Blocked));
        }
    }
}
