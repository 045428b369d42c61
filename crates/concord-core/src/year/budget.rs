//! The budget and contributions. A year's budget is a document of type `budget` adopted by
//! the rule (a member may stay out "in a limited format"); the secretariat then sets its
//! total, and each obliged member's contribution follows from the charter's budget shares,
//! split to the hundredth by the largest remainder so that they add up to the total. The
//! secretariat records payments; what is not paid is arrears, and is not shared out among
//! the others (an unpaid share leads to cost cuts). A frozen member still owes its share.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::code::{MemberCode, Slug};
use crate::consensus::Stance;
use crate::council::{Council, CouncilError, State};
use crate::event::Event;

use super::{Amount, Currency, OBLIGED, adopted, apportion::largest_remainder};

/// Sets a year's budget under its adopted document.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetBudget {
    /// The budget year.
    pub year: i32,
    /// The adopted budget document.
    pub document: Slug,
    /// The currency.
    pub currency: Currency,
    /// The total.
    pub total: Amount,
}

/// One member's assessed contribution.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribution {
    /// The member.
    pub member: MemberCode,
    /// Its share, in hundredths of a percent.
    pub share_basis_points: u32,
    /// What it owes.
    pub assessed: Amount,
    /// It stayed out of the budget decision ("in a limited format"); it owes its share all
    /// the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stayed_out: bool,
}

/// A budget as set: the command and the contributions that follow from it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSet {
    /// What was set.
    pub budget: SetBudget,
    /// Each obliged member's contribution, in the charter's order.
    pub contributions: Vec<Contribution>,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// Records a member's payment towards a year's contribution.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPayment {
    /// The budget year.
    pub year: i32,
    /// The paying member.
    pub member: MemberCode,
    /// How much.
    pub amount: Amount,
    /// The day it was received.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub received_on: Date,
    /// The transfer's reference, up to 64 characters.
    #[serde(default)]
    pub reference: String,
}

/// A payment as recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRecorded {
    /// The payment.
    pub payment: RecordPayment,
    /// The day recorded.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// A year's budget and payments, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BudgetFile {
    /// The budget, once set.
    pub budget: Option<BudgetSet>,
    /// Payments, in order.
    pub payments: Vec<PaymentRecorded>,
}

/// A member's account for a year on a day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberAccount {
    /// The contribution.
    pub contribution: Contribution,
    /// Paid by then.
    pub paid: Amount,
    /// Still owed.
    pub outstanding: Amount,
    /// Owed after the year's end: arrears.
    pub in_arrears: bool,
}

impl BudgetFile {
    /// Folds a budget year's events, in ledger order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> BudgetFile {
        let mut file = BudgetFile::default();
        for event in events {
            match event {
                Event::BudgetSet(b) => file.budget = Some(b.clone()),
                Event::PaymentRecorded(p) => file.payments.push(p.clone()),
                _ => {}
            }
        }
        file
    }

    /// Paid by `member` with payments received on or before `day`.
    pub fn paid(&self, member: MemberCode, day: Date) -> Amount {
        let cents = self
            .payments
            .iter()
            .filter(|p| p.payment.member == member && p.payment.received_on <= day)
            .map(|p| p.payment.amount.cents())
            .sum();
        Amount::from_cents(cents).unwrap_or(Amount::ZERO)
    }

    /// Each member's account at the end of `day`.
    pub fn accounts(&self, day: Date) -> Vec<MemberAccount> {
        let Some(budget) = &self.budget else {
            return vec![];
        };
        let year_end = Date::from_calendar_date(budget.budget.year, Month::December, 31)
            .expect("a year's last day");
        budget
            .contributions
            .iter()
            .map(|c| {
                let paid = self.paid(c.member, day);
                let outstanding = c.assessed.saturating_minus(paid);
                MemberAccount {
                    contribution: c.clone(),
                    paid,
                    outstanding,
                    in_arrears: outstanding > Amount::ZERO && day > year_end,
                }
            })
            .collect()
    }
}

impl Council<'_> {
    /// Sets a year's budget: its document adopted, every obliged member assessed.
    pub(crate) fn set_budget(
        &self,
        c: &SetBudget,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        if state.budget.budget.is_some() {
            return Err(CouncilError::AlreadyExists(format!(
                "the budget of {}",
                c.year
            )));
        }
        let file = adopted(state, &c.document, &["budget"])?;
        let first = Date::from_calendar_date(c.year, Month::January, 1)
            .map_err(|_| CouncilError::OutOfOrder(format!("{} is not a year", c.year)))?;
        let stayed_out: Vec<MemberCode> = file
            .decision
            .iter()
            .flat_map(|d| &d.ballots)
            .filter(|b| {
                b.position
                    .as_ref()
                    .is_some_and(|p| p.position.stance == Stance::NoInterest)
            })
            .map(|b| b.member)
            .collect();
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
        let parts = largest_remainder(c.total.cents(), &weights);
        let contributions = obliged
            .iter()
            .zip(parts)
            .map(|(m, cents)| Contribution {
                member: m.code,
                share_basis_points: m.budget_share.basis_points(),
                assessed: Amount::from_cents(cents).expect("a part of the total"),
                stayed_out: stayed_out.contains(&m.code),
            })
            .collect();
        Ok(vec![Event::BudgetSet(BudgetSet {
            budget: c.clone(),
            contributions,
            on: today,
        })])
    }

    /// Records a payment: never more than is still owed, never for a member not assessed.
    pub(crate) fn record_payment(
        &self,
        c: &RecordPayment,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        let budget = state
            .budget
            .budget
            .as_ref()
            .ok_or_else(|| CouncilError::NotFound(format!("the budget of {}", c.year)))?;
        let owed = budget
            .contributions
            .iter()
            .find(|k| k.member == c.member)
            .ok_or_else(|| {
                CouncilError::NotFound(format!("a contribution of {} for {}", c.member, c.year))
            })?;
        if c.reference.chars().count() > 64 {
            return Err(CouncilError::OutOfOrder(
                "a reference is at most 64 characters".into(),
            ));
        }
        if c.amount == Amount::ZERO {
            return Err(CouncilError::OutOfOrder(
                "a payment is more than zero".into(),
            ));
        }
        if c.received_on > today {
            return Err(CouncilError::OutOfOrder(format!(
                "the payment is said to be received on {}, after today",
                crate::date::PartialDate::Day(c.received_on)
            )));
        }
        let outstanding = owed
            .assessed
            .saturating_minus(state.budget.paid(c.member, Date::MAX));
        if c.amount > outstanding {
            return Err(CouncilError::Overpaid(format!(
                "{} owes {} {} for {}; a payment of {} is more",
                c.member, outstanding, budget.budget.currency, c.year, c.amount
            )));
        }
        Ok(vec![Event::PaymentRecorded(PaymentRecorded {
            payment: c.clone(),
            on: today,
        })])
    }
}
