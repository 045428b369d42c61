//! The secretariat's quota posts. For each period (three years in the demo charter) the
//! charter's quota posts are apportioned among the obliged members in proportion to their
//! budget shares by the largest remainder, under a council decision adopted by the
//! procedure. A member may renounce posts, which stay unfilled (they are not given to
//! another); the secretariat records who fills each post, and until when.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::code::{MemberCode, Slug};
use crate::council::{Council, CouncilError, State};
use crate::event::Event;
use crate::text::Text;

use super::{OBLIGED, adopted, apportion::largest_remainder};

/// Apportions the quota posts of the period beginning in `period`, under an adopted
/// decision.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApportionQuotaPosts {
    /// The period's first year.
    pub period: i32,
    /// The council's adopted decision on the distribution.
    pub document: Slug,
}

/// A member's allotment of quota posts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaAllotment {
    /// The member.
    pub member: MemberCode,
    /// Its budget share, in hundredths of a percent.
    pub share_basis_points: u32,
    /// Posts allotted.
    pub posts: u32,
}

/// The apportionment as recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaApportioned {
    /// What was asked.
    pub apportion: ApportionQuotaPosts,
    /// The period's last year.
    pub until: i32,
    /// Each obliged member's posts, in the charter's order.
    pub allotments: Vec<QuotaAllotment>,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// A member renounces some of its posts for a period: they stay unfilled.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenounceQuotaPost {
    /// The period's first year.
    pub period: i32,
    /// The member renouncing.
    pub member: MemberCode,
    /// How many posts.
    pub posts: u32,
}

/// The secretariat records who fills one of a member's posts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillQuotaPost {
    /// The period's first year.
    pub period: i32,
    /// Whose post.
    pub member: MemberCode,
    /// The post (e.g. "Head of the information department").
    pub post: Text,
    /// Who holds it.
    pub holder: Text,
    /// From.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// Until (within the period).
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub until: Date,
}

/// A renunciation as recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaPostRenounced {
    /// What was renounced.
    pub renounce: RenounceQuotaPost,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// A filled post as recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaPostFilled {
    /// Who fills which post.
    pub fill: FillQuotaPost,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// A period's quota posts, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct QuotaFile {
    /// The apportionment, once made.
    pub apportioned: Option<QuotaApportioned>,
    /// Renunciations, in order.
    pub renounced: Vec<QuotaPostRenounced>,
    /// Filled posts, in order.
    pub filled: Vec<QuotaPostFilled>,
}

/// A member's quota posts in a period.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberQuota {
    /// The member.
    pub member: MemberCode,
    /// Allotted.
    pub allotted: u32,
    /// Renounced: unfilled, not given to another.
    pub renounced: u32,
    /// Filled, with holders.
    pub holders: Vec<FillQuotaPost>,
    /// Neither renounced nor filled.
    pub vacant: u32,
}

impl QuotaFile {
    /// Folds a period's events, in ledger order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> QuotaFile {
        let mut file = QuotaFile::default();
        for event in events {
            match event {
                Event::QuotaApportioned(a) => file.apportioned = Some(a.clone()),
                Event::QuotaPostRenounced(r) => file.renounced.push(r.clone()),
                Event::QuotaPostFilled(f) => file.filled.push(f.clone()),
                _ => {}
            }
        }
        file
    }

    /// Each member's posts.
    pub fn members(&self) -> Vec<MemberQuota> {
        let Some(a) = &self.apportioned else {
            return vec![];
        };
        a.allotments
            .iter()
            .map(|allot| {
                let renounced = self
                    .renounced
                    .iter()
                    .filter(|r| r.renounce.member == allot.member)
                    .map(|r| r.renounce.posts)
                    .sum::<u32>();
                let holders: Vec<FillQuotaPost> = self
                    .filled
                    .iter()
                    .filter(|f| f.fill.member == allot.member)
                    .map(|f| f.fill.clone())
                    .collect();
                let vacant = allot
                    .posts
                    .saturating_sub(renounced)
                    .saturating_sub(holders.len() as u32);
                MemberQuota {
                    member: allot.member,
                    allotted: allot.posts,
                    renounced,
                    holders,
                    vacant,
                }
            })
            .collect()
    }
}

impl Council<'_> {
    fn quota_rule(&self, period: i32) -> Result<(i32, i32, u32), CouncilError> {
        let rule =
            self.charter.quota_posts.as_ref().ok_or_else(|| {
                CouncilError::NotInCharter("the charter has no quota posts".into())
            })?;
        if !(1900..=2200).contains(&period) {
            return Err(CouncilError::OutOfOrder(format!(
                "{period} is not a year of quota posts (1900 to 2200)"
            )));
        }
        let (from, until) = rule.period_of(period);
        if from != period {
            return Err(CouncilError::OutOfOrder(format!(
                "quota periods run {from}–{until}: name a period by its first year"
            )));
        }
        Ok((from, until, rule.count))
    }

    /// Apportions a period's quota posts by budget share.
    pub(crate) fn apportion_quota_posts(
        &self,
        c: &ApportionQuotaPosts,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        let (from, until, count) = self.quota_rule(c.period)?;
        if state.quota.apportioned.is_some() {
            return Err(CouncilError::AlreadyExists(format!(
                "the quota posts of {from}–{until}"
            )));
        }
        adopted(state, &c.document, &[])?;
        let first = Date::from_calendar_date(from, Month::January, 1)
            .map_err(|_| CouncilError::OutOfOrder(format!("{from} is not a year")))?;
        let obliged: Vec<_> = self
            .charter
            .members
            .iter()
            .filter(|m| {
                self.timeline
                    .status_on(m.code, first)
                    .is_some_and(|s| OBLIGED.contains(&s.status))
            })
            .collect();
        let weights: Vec<u64> = obliged
            .iter()
            .map(|m| u64::from(m.budget_share.basis_points()))
            .collect();
        let parts = largest_remainder(u64::from(count), &weights);
        let allotments = obliged
            .iter()
            .zip(parts)
            .map(|(m, posts)| QuotaAllotment {
                member: m.code,
                share_basis_points: m.budget_share.basis_points(),
                posts: u32::try_from(posts).expect("at most the count"),
            })
            .collect();
        Ok(vec![Event::QuotaApportioned(QuotaApportioned {
            apportion: c.clone(),
            until,
            allotments,
            on: today,
        })])
    }

    fn member_quota(
        &self,
        state: &State,
        period: i32,
        member: MemberCode,
    ) -> Result<MemberQuota, CouncilError> {
        if state.quota.apportioned.is_none() {
            return Err(CouncilError::NotFound(format!(
                "an apportionment of quota posts for {period}"
            )));
        }
        state
            .quota
            .members()
            .into_iter()
            .find(|q| q.member == member)
            .ok_or_else(|| CouncilError::NotFound(format!("quota posts of {member} in {period}")))
    }

    /// A member renounces vacant posts of its own.
    pub(crate) fn renounce_quota_post(
        &self,
        c: &RenounceQuotaPost,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        self.quota_rule(c.period)?;
        let quota = self.member_quota(state, c.period, c.member)?;
        if c.posts == 0 || c.posts > quota.vacant {
            return Err(CouncilError::NoQuotaPostLeft(format!(
                "{} has {} vacant quota posts in the period; it cannot renounce {}",
                c.member, quota.vacant, c.posts
            )));
        }
        Ok(vec![Event::QuotaPostRenounced(QuotaPostRenounced {
            renounce: c.clone(),
            on: today,
        })])
    }

    /// The secretariat fills one of a member's vacant posts within the period.
    pub(crate) fn fill_quota_post(
        &self,
        c: &FillQuotaPost,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        let (from, until, _) = self.quota_rule(c.period)?;
        let quota = self.member_quota(state, c.period, c.member)?;
        if quota.vacant == 0 {
            return Err(CouncilError::NoQuotaPostLeft(format!(
                "{} has no vacant quota post in {from}–{until} (allotted {}, renounced {}, filled {})",
                c.member,
                quota.allotted,
                quota.renounced,
                quota.holders.len()
            )));
        }
        if c.from > c.until || c.from.year() < from || c.until.year() > until {
            return Err(CouncilError::OutOfOrder(format!(
                "a quota post of {from}–{until} is held within the period, from before until"
            )));
        }
        super::said("the post", &c.post, 200)?;
        super::said("the holder", &c.holder, 200)?;
        Ok(vec![Event::QuotaPostFilled(QuotaPostFilled {
            fill: c.clone(),
            on: today,
        })])
    }
}
