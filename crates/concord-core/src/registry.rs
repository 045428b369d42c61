//! The registry: each state's status in the organisation over time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::code::MemberCode;
use crate::date;
use crate::text::Text;

/// A state's standing in the organisation on a given day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberStatus {
    /// A full member: attends, votes, can block.
    Member,
    /// A member that froze its participation: a member in law, but it attends nothing,
    /// is not counted for consensus and cannot block.
    Frozen,
    /// A member whose participation is formally suspended under the regulations.
    Suspended,
    /// Takes part in actions in all or some areas; never votes.
    Partner,
    /// Follows the work without obligations; never votes.
    Observer,
    /// Has left the organisation.
    Withdrawn,
}

impl MemberStatus {
    /// Every status, in the order above.
    pub const ALL: [MemberStatus; 6] = [
        MemberStatus::Member,
        MemberStatus::Frozen,
        MemberStatus::Suspended,
        MemberStatus::Partner,
        MemberStatus::Observer,
        MemberStatus::Withdrawn,
    ];

    /// The status as written in data files and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            MemberStatus::Member => "member",
            MemberStatus::Frozen => "frozen",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Partner => "partner",
            MemberStatus::Observer => "observer",
            MemberStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses the written form.
    pub fn parse(s: &str) -> Option<MemberStatus> {
        MemberStatus::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A recorded change of a state's status, with what the sources say of its timing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRecord {
    /// The state.
    pub member: MemberCode,
    /// Its status from then on.
    pub status: MemberStatus,
    /// The day the status began, when a source gives it.
    #[serde(
        default,
        with = "date::day::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub since: Option<Date>,
    /// A day on which a source attests the status, when the start is not known: the
    /// status is taken to hold from that day, never from an invented earlier one.
    #[serde(
        default,
        with = "date::day::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub attested: Option<Date>,
    /// What happened, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// The source articles, by file name.
    pub sources: Vec<String>,
}

impl StatusRecord {
    /// The first day the status is held to apply: its start if known, else the day a
    /// source attests it.
    pub fn effective(&self) -> Option<Date> {
        self.since.or(self.attested)
    }
}

/// A state's status on one day, and what establishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusOn {
    /// The status.
    pub status: MemberStatus,
    /// The record that set it, or `None` when it is the charter's founding status.
    pub record: Option<StatusRecord>,
}

/// Every state's status over time: the charter's founding status, then the recorded
/// changes in order.
#[derive(Debug, Clone, Default)]
pub struct StatusTimeline {
    founding: BTreeMap<MemberCode, (MemberStatus, Option<Date>)>,
    changes: BTreeMap<MemberCode, Vec<StatusRecord>>,
}

impl StatusTimeline {
    /// A timeline from the founding statuses (with their start, if known) and recorded
    /// changes. Records with no date at all are ignored: they cannot be placed in time.
    pub fn new(
        founding: impl IntoIterator<Item = (MemberCode, MemberStatus, Option<Date>)>,
        changes: impl IntoIterator<Item = StatusRecord>,
    ) -> Self {
        let mut timeline = StatusTimeline {
            founding: founding.into_iter().map(|(c, s, d)| (c, (s, d))).collect(),
            changes: BTreeMap::new(),
        };
        for record in changes.into_iter().filter(|r| r.effective().is_some()) {
            timeline
                .changes
                .entry(record.member)
                .or_default()
                .push(record);
        }
        for records in timeline.changes.values_mut() {
            records.sort_by_key(|r| r.effective());
        }
        timeline
    }

    /// Every state the timeline knows, founding members first, in code order.
    pub fn states(&self) -> impl Iterator<Item = MemberCode> + '_ {
        let extra = self
            .changes
            .keys()
            .filter(|c| !self.founding.contains_key(c));
        self.founding.keys().chain(extra).copied()
    }

    /// A state's status on `day`; `None` when nothing is known of it then (not founded
    /// yet, or a state that appears only later).
    pub fn status_on(&self, member: MemberCode, day: Date) -> Option<StatusOn> {
        let latest = self
            .changes
            .get(&member)
            .and_then(|records| records.iter().rev().find(|r| r.effective() <= Some(day)));
        if let Some(record) = latest {
            return Some(StatusOn {
                status: record.status,
                record: Some(record.clone()),
            });
        }
        match self.founding.get(&member) {
            Some((status, since)) if since.is_none_or(|s| s <= day) => Some(StatusOn {
                status: *status,
                record: None,
            }),
            _ => None,
        }
    }

    /// Every recorded change of one state, oldest first.
    pub fn changes_of(&self, member: MemberCode) -> &[StatusRecord] {
        self.changes.get(&member).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn arm() -> MemberCode {
        "ARM".parse().unwrap()
    }

    #[test]
    fn attested_status_applies_from_the_attested_day_only() {
        let frozen = StatusRecord {
            member: arm(),
            status: MemberStatus::Frozen,
            since: None,
            attested: Some(date!(2024 - 11 - 28)),
            note: None,
            sources: vec!["003.txt".into()],
        };
        let t = StatusTimeline::new([(arm(), MemberStatus::Member, None)], [frozen]);
        assert_eq!(
            t.status_on(arm(), date!(2024 - 11 - 27)).unwrap().status,
            MemberStatus::Member
        );
        assert_eq!(
            t.status_on(arm(), date!(2024 - 11 - 28)).unwrap().status,
            MemberStatus::Frozen
        );
        assert!(
            t.status_on(arm(), date!(2024 - 11 - 28))
                .unwrap()
                .record
                .is_some()
        );
    }

    #[test]
    fn nothing_is_known_before_a_founding_date() {
        let t = StatusTimeline::new(
            [(arm(), MemberStatus::Member, Some(date!(2002 - 10 - 07)))],
            [],
        );
        assert!(t.status_on(arm(), date!(2001 - 01 - 01)).is_none());
        assert!(t.status_on(arm(), date!(2002 - 10 - 07)).is_some());
    }
}
