//! The rotating chairmanship: one member a year, in the charter's order, skipping members
//! whose status bars them (a frozen member is skipped).

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::code::MemberCode;
use crate::registry::{MemberStatus, StatusTimeline};

/// How the chairmanship passes from one holder to the next.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandoverRule {
    /// The term is the calendar year, 1 January to 31 December.
    CalendarYear,
    /// The chairmanship passes at the year's regular council session.
    RegularSession,
}

/// The handover rule in force for a span of years (either end open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverPeriod {
    /// First year the rule applies to, if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i32>,
    /// Last year the rule applies to, if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i32>,
    /// The rule.
    pub rule: HandoverRule,
}

/// A known chairmanship from which the rotation is counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// The year.
    pub year: i32,
    /// The member that chaired that year.
    pub member: MemberCode,
}

/// The charter's rule for the chairmanship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationRule {
    /// The rotation order; after the last comes the first again.
    pub order: Vec<MemberCode>,
    /// A known year and holder to count from.
    pub anchor: Anchor,
    /// Statuses whose holder's turn passes to the next in order.
    pub skip: Vec<MemberStatus>,
    /// The handover rule by period.
    pub handover: Vec<HandoverPeriod>,
}

/// Who chairs in a year, and under which handover rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chairmanship {
    /// The year of the term.
    pub year: i32,
    /// The chairing member.
    pub member: MemberCode,
    /// How the term began.
    pub handover: HandoverRule,
}

/// Why no chair could be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    /// Every member in the order is barred that year.
    #[error("no member in the rotation order may chair in {0}: every one is skipped by its status")]
    NoEligibleMember(i32),
    /// The anchor itself is barred.
    #[error("the rotation's anchor {member} cannot chair in {year}: its status then is {status}")]
    AnchorBarred {
        /// The anchor year.
        year: i32,
        /// The anchor member.
        member: MemberCode,
        /// Its status.
        status: &'static str,
    },
    /// The year is outside what Concord computes.
    #[error("year {0} is out of range (1900 to 2200)")]
    OutOfRange(i32),
}

/// The years Concord computes chairmanships for.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

impl RotationRule {
    /// The handover rule for `year`: the first period covering it, else the last period's.
    pub fn handover_for(&self, year: i32) -> HandoverRule {
        self.handover
            .iter()
            .find(|p| p.from.is_none_or(|f| f <= year) && p.until.is_none_or(|u| year <= u))
            .or(self.handover.last())
            .map_or(HandoverRule::CalendarYear, |p| p.rule)
    }

    /// The day on which eligibility for `year` is judged: 1 January of the year.
    ///
    /// Under the regular-session rule the turn passes at the previous year's session, whose
    /// date is not always known; 1 January of the term's year is used for both rules.
    fn judged_on(year: i32) -> Date {
        Date::from_calendar_date(year, Month::January, 1).expect("years are in range")
    }

    /// Whether `member` may take its turn in `year`. A state whose status is unknown that
    /// day keeps its turn: the charter names it in the order.
    fn may_chair(
        &self,
        timeline: &StatusTimeline,
        member: MemberCode,
        year: i32,
    ) -> Result<bool, MemberStatus> {
        match timeline.status_on(member, Self::judged_on(year)) {
            Some(s) if self.skip.contains(&s.status) => Err(s.status),
            _ => Ok(true),
        }
    }

    fn position(&self, member: MemberCode) -> usize {
        self.order
            .iter()
            .position(|m| *m == member)
            .expect("anchor is validated to be in the order")
    }

    /// The first member from `start` (inclusive), stepping by `step` around the order,
    /// that may chair in `year`.
    fn first_eligible(
        &self,
        timeline: &StatusTimeline,
        start: usize,
        forward: bool,
        year: i32,
    ) -> Result<usize, RotationError> {
        let n = self.order.len();
        (0..n)
            .map(|k| {
                if forward {
                    (start + k) % n
                } else {
                    (start + n * 2 - k) % n
                }
            })
            .find(|&i| self.may_chair(timeline, self.order[i], year).is_ok())
            .ok_or(RotationError::NoEligibleMember(year))
    }

    /// Who chairs in `year`, counted from the anchor: each year the turn passes to the
    /// next member in order that its status does not bar; counting back works the same
    /// way in reverse.
    pub fn chair_for_year(
        &self,
        timeline: &StatusTimeline,
        year: i32,
    ) -> Result<Chairmanship, RotationError> {
        if !YEARS.contains(&year) {
            return Err(RotationError::OutOfRange(year));
        }
        let n = self.order.len();
        let anchor = &self.anchor;
        if let Err(status) = self.may_chair(timeline, anchor.member, anchor.year) {
            return Err(RotationError::AnchorBarred {
                year: anchor.year,
                member: anchor.member,
                status: status.as_str(),
            });
        }
        let mut at = self.position(anchor.member);
        if year >= anchor.year {
            for y in anchor.year + 1..=year {
                at = self.first_eligible(timeline, (at + 1) % n, true, y)?;
            }
        } else {
            for y in (year..anchor.year).rev() {
                at = self.first_eligible(timeline, (at + n - 1) % n, false, y)?;
            }
        }
        Ok(Chairmanship {
            year,
            member: self.order[at],
            handover: self.handover_for(year),
        })
    }

    /// The chairmanships of every year from `from` to `to` inclusive.
    pub fn chairs(
        &self,
        timeline: &StatusTimeline,
        from: i32,
        to: i32,
    ) -> Result<Vec<Chairmanship>, RotationError> {
        (from..=to)
            .map(|y| self.chair_for_year(timeline, y))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::StatusRecord;
    use proptest::prelude::*;

    fn code(i: usize) -> MemberCode {
        let letters = [b'A' + i as u8, b'A' + i as u8, b'A' + i as u8];
        std::str::from_utf8(&letters).unwrap().parse().unwrap()
    }

    fn rule(n: usize, anchor_year: i32, anchor_at: usize) -> RotationRule {
        RotationRule {
            order: (0..n).map(code).collect(),
            anchor: Anchor {
                year: anchor_year,
                member: code(anchor_at),
            },
            skip: vec![
                MemberStatus::Frozen,
                MemberStatus::Suspended,
                MemberStatus::Withdrawn,
            ],
            handover: vec![HandoverPeriod {
                from: None,
                until: None,
                rule: HandoverRule::CalendarYear,
            }],
        }
    }

    fn change(i: usize, status: MemberStatus, year: i32, day: u8) -> StatusRecord {
        StatusRecord {
            member: code(i),
            status,
            since: Some(Date::from_calendar_date(year, Month::March, day).unwrap()),
            attested: None,
            note: None,
            sources: vec![],
        }
    }

    fn timeline(n: usize, changes: Vec<StatusRecord>) -> StatusTimeline {
        StatusTimeline::new(
            (0..n).map(|i| (code(i), MemberStatus::Member, None)),
            changes,
        )
    }

    #[test]
    fn the_articles_six_in_alphabetical_order() {
        let csto = RotationRule {
            order: ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]
                .map(|c| c.parse().unwrap())
                .to_vec(),
            anchor: Anchor {
                year: 2017,
                member: "BLR".parse().unwrap(),
            },
            skip: vec![MemberStatus::Frozen],
            handover: vec![],
        };
        let arm_frozen = StatusRecord {
            member: "ARM".parse().unwrap(),
            status: MemberStatus::Frozen,
            since: None,
            attested: Some(time::macros::date!(2024 - 11 - 28)),
            note: None,
            sources: vec![],
        };
        let t = StatusTimeline::new(
            csto.order.iter().map(|c| (*c, MemberStatus::Member, None)),
            [arm_frozen],
        );
        let chairs: Vec<String> = csto
            .chairs(&t, 2017, 2029)
            .unwrap()
            .iter()
            .map(|c| c.member.to_string())
            .collect();
        assert_eq!(
            chairs,
            [
                "BLR", "KAZ", "KGZ", "RUS", "TJK", "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "BLR",
                "KAZ"
            ]
        );
    }

    #[test]
    fn a_barred_anchor_is_an_error() {
        let r = rule(3, 2020, 1);
        let t = timeline(3, vec![change(1, MemberStatus::Frozen, 2019, 1)]);
        assert!(matches!(
            r.chair_for_year(&t, 2021),
            Err(RotationError::AnchorBarred { .. })
        ));
    }

    #[test]
    fn nobody_eligible_is_an_error() {
        let r = rule(2, 2020, 0);
        let t = timeline(
            2,
            vec![
                change(0, MemberStatus::Frozen, 2020, 5),
                change(1, MemberStatus::Withdrawn, 2020, 5),
            ],
        );
        assert_eq!(
            r.chair_for_year(&t, 2021),
            Err(RotationError::NoEligibleMember(2021))
        );
    }

    fn changes_strategy(n: usize) -> impl Strategy<Value = Vec<StatusRecord>> {
        let status = prop_oneof![
            Just(MemberStatus::Member),
            Just(MemberStatus::Frozen),
            Just(MemberStatus::Withdrawn),
            Just(MemberStatus::Observer),
        ];
        prop::collection::vec((0..n, status, 1990i32..2060, 1u8..28), 0..6).prop_map(|v| {
            v.into_iter()
                .map(|(i, s, y, d)| change(i, s, y, d))
                .collect()
        })
    }

    fn scenario() -> impl Strategy<Value = (usize, i32, usize, Vec<StatusRecord>)> {
        (2usize..8, 1995i32..2040).prop_flat_map(|(n, anchor_year)| {
            (Just(n), Just(anchor_year), 0..n, changes_strategy(n))
        })
    }

    proptest! {
        /// Whoever is computed to chair may chair: its status that year does not bar it.
        #[test]
        fn every_chair_is_eligible((n, anchor_year, anchor_at, changes) in scenario(), from in 1980i32..2070) {
            let r = rule(n, anchor_year, anchor_at);
            let t = timeline(n, changes);
            for y in from..from + 12 {
                if let Ok(c) = r.chair_for_year(&t, y) {
                    prop_assert!(r.may_chair(&t, c.member, y).is_ok(), "{:?} barred in {}", c.member, y);
                }
            }
        }

        /// No eligible member is passed over: every member between two consecutive chairs
        /// in the order is barred in the later year.
        #[test]
        fn nobody_eligible_is_passed_over((n, anchor_year, anchor_at, changes) in scenario(), from in 1980i32..2070) {
            let r = rule(n, anchor_year, anchor_at);
            let t = timeline(n, changes);
            let from = from.max(anchor_year);
            if let (Ok(a), Ok(b)) = (r.chair_for_year(&t, from), r.chair_for_year(&t, from + 1)) {
                let (i, j) = (r.position(a.member), r.position(b.member));
                let mut k = (i + 1) % n;
                while k != j {
                    prop_assert!(r.may_chair(&t, r.order[k], from + 1).is_err(), "{:?} passed over in {}", r.order[k], from + 1);
                    k = (k + 1) % n;
                }
            }
        }

        /// With statuses unchanged, every eligible member chairs exactly once in any run of
        /// as many years as there are eligible members, and two years running never have
        /// the same chair.
        #[test]
        fn fair_turns_when_statuses_are_steady(n in 2usize..8, anchor_year in 1995i32..2040, anchor_seed in 0usize..8, frozen in prop::collection::btree_set(0usize..8, 0..4), from in 2000i32..2050) {
            let anchor_at = (0..n).map(|k| (anchor_seed + k) % n).find(|i| !frozen.contains(i));
            prop_assume!(anchor_at.is_some());
            let r = rule(n, anchor_year, anchor_at.unwrap());
            let changes = frozen.iter().filter(|&&i| i < n).map(|&i| change(i, MemberStatus::Frozen, 1900, 1)).collect();
            let t = timeline(n, changes);
            let eligible: Vec<MemberCode> = (0..n).filter(|i| !frozen.contains(i)).map(code).collect();
            let window = r.chairs(&t, from, from + eligible.len() as i32 - 1).unwrap();
            let mut chairs: Vec<MemberCode> = window.iter().map(|c| c.member).collect();
            if eligible.len() > 1 {
                prop_assert!(window.windows(2).all(|w| w[0].member != w[1].member));
            }
            chairs.sort();
            prop_assert_eq!(chairs, eligible);
        }

        /// The anchor year always yields the anchor member, whatever happens later.
        #[test]
        fn the_anchor_holds((n, anchor_year, anchor_at, changes) in scenario()) {
            let r = rule(n, anchor_year, anchor_at);
            let t = timeline(n, changes);
            if let Ok(c) = r.chair_for_year(&t, anchor_year) {
                prop_assert_eq!(c.member, code(anchor_at));
            }
        }
    }
}
