//! Posts held by rotation: the Secretary General's post passes among the members in the
//! charter's order for fixed terms, counted from a known term, like the chairmanship.
//! [`PostRotation::term_on`] says whose national the rule gives the post to on a day;
//! [`check_holder`] compares a recorded holder with it.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::code::MemberCode;
use crate::history::Appointment;
use crate::registry::{MemberStatus, StatusTimeline};

/// A known term from which the rotation is counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermAnchor {
    /// The year the term began (on 1 January).
    pub from: i32,
    /// The member whose national held it.
    pub member: MemberCode,
}

/// The charter's rule for a post that rotates among the members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostRotation {
    /// The order; after the last comes the first again.
    pub order: Vec<MemberCode>,
    /// Years in a term; terms begin on 1 January.
    pub term_years: u32,
    /// The first year the rule applies to (before it the charter says nothing).
    pub since: i32,
    /// A known term.
    pub anchor: TermAnchor,
    /// Statuses (on the term's first day) whose holder's turn passes to the next in order.
    #[serde(default)]
    pub skip: Vec<MemberStatus>,
}

/// A term the rule gives: the member whose national holds the post, from and until.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostTerm {
    /// The member.
    pub member: MemberCode,
    /// First day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// Last day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub until: Date,
}

/// Terms counted further than this from the anchor are refused (a mistyped year).
const MAX_TERMS: i32 = 200;

impl PostRotation {
    /// The term covering `day`, or `None` before the rule applies, past the counted range,
    /// or where every member is barred.
    pub fn term_on(&self, timeline: &StatusTimeline, day: Date) -> Option<PostTerm> {
        let years = i32::try_from(self.term_years).ok().filter(|&y| y > 0)?;
        if day.year() < self.since || self.order.is_empty() {
            return None;
        }
        let k = (day.year() - self.anchor.from).div_euclid(years);
        if k.abs() > MAX_TERMS {
            return None;
        }
        let n = self.order.len();
        let mut at = self.order.iter().position(|m| *m == self.anchor.member)?;
        let start = |k: i32| self.anchor.from + k * years;
        let barred = |i: usize, k: i32| {
            let first = Date::from_calendar_date(start(k), Month::January, 1).ok();
            first.is_some_and(|d| {
                timeline
                    .status_on(self.order[i], d)
                    .is_some_and(|s| self.skip.contains(&s.status))
            })
        };
        let step = if k >= 0 { 1 } else { n - 1 };
        for term in (1..=k.abs()).map(|t| if k >= 0 { t } else { -t }) {
            at = (0..n)
                .map(|j| (at + step * (j + 1)) % n)
                .find(|&i| !barred(i, term))?;
        }
        let from = Date::from_calendar_date(start(k), Month::January, 1).ok()?;
        let until = Date::from_calendar_date(start(k + 1) - 1, Month::December, 31).ok()?;
        Some(PostTerm {
            member: self.order[at],
            from,
            until,
        })
    }
}

/// How a recorded holder stands towards the rule.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolderCheck {
    /// The holder's nationality is the one the rule gives.
    Agrees,
    /// An acting holder: the rule's turn is not spent.
    Acting,
    /// The nationality differs from the rule's.
    Differs,
    /// No source gives the holder's nationality: nothing to check.
    NationalityUnknown,
    /// The charter has no rule for that day.
    NoRule,
}

/// Compares a recorded holder with the member the rule (or the charter's fixed
/// nationality) gives.
pub fn check_holder(expected: Option<MemberCode>, holder: &Appointment) -> HolderCheck {
    match (expected, holder.nationality) {
        _ if holder.acting => HolderCheck::Acting,
        (None, _) => HolderCheck::NoRule,
        (Some(_), None) => HolderCheck::NationalityUnknown,
        (Some(e), Some(n)) if e == n => HolderCheck::Agrees,
        _ => HolderCheck::Differs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::StatusRecord;

    fn code(s: &str) -> MemberCode {
        s.parse().unwrap()
    }

    fn rule() -> PostRotation {
        PostRotation {
            order: ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]
                .map(code)
                .to_vec(),
            term_years: 3,
            since: 2017,
            anchor: TermAnchor {
                from: 2023,
                member: code("KAZ"),
            },
            skip: vec![MemberStatus::Frozen],
        }
    }

    fn day(s: &str) -> Date {
        crate::date::parse_day(s).unwrap()
    }

    #[test]
    fn the_secretary_generals_turn_passes_every_three_years_in_order() {
        let timeline = StatusTimeline::new(
            ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]
                .map(|c| (code(c), MemberStatus::Member, None)),
            Vec::<StatusRecord>::new(),
        );
        let term = |d: &str| {
            rule().term_on(&timeline, day(d)).map(|t| {
                (
                    t.member.to_string(),
                    t.from.to_string(),
                    t.until.to_string(),
                )
            })
        };
        assert_eq!(
            term("2024-06-01"),
            Some(("KAZ".into(), "2023-01-01".into(), "2025-12-31".into()))
        );
        assert_eq!(
            term("2026-01-01"),
            Some(("KGZ".into(), "2026-01-01".into(), "2028-12-31".into()))
        );
        assert_eq!(
            term("2020-03-01"),
            Some(("BLR".into(), "2020-01-01".into(), "2022-12-31".into()))
        );
        assert_eq!(
            term("2017-05-01"),
            Some(("ARM".into(), "2017-01-01".into(), "2019-12-31".into()))
        );
        assert_eq!(term("2029-01-01").unwrap().0, "RUS");
        assert_eq!(term("2016-12-31"), None, "the rule applies since 2017");
    }
}
