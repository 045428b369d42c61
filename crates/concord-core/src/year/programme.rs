//! Programmes and action plans carried out: once the document is adopted, the secretariat
//! sets out its items (who answers for each, by when, funding where stated), and the party
//! that answers for an item reports progress under its own key. An item past its deadline
//! and not done is overdue.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::code::Slug;
use crate::council::{Council, CouncilError, State};
use crate::event::Event;
use crate::keys::KeyOwner;
use crate::text::Text;

use super::{Amount, Currency, Party, adopted, said};

/// The document types that are carried out item by item.
pub const PROGRAMME_TYPES: [&str; 2] = ["programme", "action-plan"];

/// Money set aside for an item.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Funding {
    /// The currency.
    pub currency: Currency,
    /// The amount.
    pub amount: Amount,
}

/// Sets out an item of an adopted programme or action plan.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddProgrammeItem {
    /// The programme: its adopted document.
    pub programme: Slug,
    /// The item's number, from 1, the next one: a replayed command is refused.
    pub number: u32,
    /// What is to be done.
    pub title: Text,
    /// Who answers for it.
    pub responsible: Party,
    /// By when.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub deadline: Date,
    /// Funding, where the programme states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<Funding>,
}

/// Where an item stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// Nothing reported yet.
    NotStarted,
    /// Under way.
    InProgress,
    /// Carried out.
    Done,
}

impl ItemStatus {
    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::NotStarted => "not-started",
            ItemStatus::InProgress => "in-progress",
            ItemStatus::Done => "done",
        }
    }
}

/// The responsible party's report on an item.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportProgress {
    /// The programme.
    pub programme: Slug,
    /// The item's number.
    pub item: u32,
    /// Who reports: the item's responsible party (a body's reports are the secretariat's).
    pub reporter: Party,
    /// In progress or done.
    pub status: ItemStatus,
    /// How far, in percent (100 when done).
    pub percent: u8,
    /// What was done.
    pub note: Text,
}

/// An item as recorded, with the day it was set out.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeItemAdded {
    /// The item.
    pub item: AddProgrammeItem,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// A progress report as recorded, with its day (its seal's).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressReported {
    /// The report.
    pub report: ReportProgress,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// Everything recorded of one programme's execution, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ProgrammeFile {
    /// Items, by number.
    pub items: Vec<ProgrammeItemAdded>,
    /// Progress reports, in order.
    pub reports: Vec<ProgressReported>,
}

/// One item's standing on a day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemStanding {
    /// The item.
    pub item: AddProgrammeItem,
    /// Its status then.
    pub status: ItemStatus,
    /// Percent done then.
    pub percent: u8,
    /// Past its deadline and not done.
    pub overdue: bool,
    /// Its reports up to then, oldest first.
    pub reports: Vec<ProgressReported>,
}

impl ProgrammeFile {
    /// Folds a programme's events, in ledger order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> ProgrammeFile {
        let mut file = ProgrammeFile::default();
        for event in events {
            match event {
                Event::ProgrammeItemAdded(i) => file.items.push(i.clone()),
                Event::ProgressReported(r) => file.reports.push(r.clone()),
                _ => {}
            }
        }
        file
    }

    /// Each item as it stood at the end of `day`.
    pub fn standing(&self, day: Date) -> Vec<ItemStanding> {
        self.items
            .iter()
            .filter(|i| i.on <= day)
            .map(|i| {
                let reports: Vec<ProgressReported> = self
                    .reports
                    .iter()
                    .filter(|r| r.report.item == i.item.number && r.on <= day)
                    .cloned()
                    .collect();
                let (status, percent) = reports.last().map_or((ItemStatus::NotStarted, 0), |r| {
                    (r.report.status, r.report.percent)
                });
                ItemStanding {
                    item: i.item.clone(),
                    status,
                    percent,
                    overdue: status != ItemStatus::Done && i.item.deadline < day,
                    reports,
                }
            })
            .collect()
    }
}

impl Council<'_> {
    /// Sets out the next item of an adopted programme or action plan.
    pub(crate) fn add_programme_item(
        &self,
        c: &AddProgrammeItem,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        adopted(state, &c.programme, &PROGRAMME_TYPES)?;
        let next = state.programme.items.len() as u32 + 1;
        if c.number != next {
            return Err(CouncilError::OutOfOrder(format!(
                "programme {} has {} items: the next is number {next}",
                c.programme,
                next - 1
            )));
        }
        self.check_party(&c.responsible)?;
        said("the item's title", &c.title, 500)?;
        Ok(vec![Event::ProgrammeItemAdded(ProgrammeItemAdded {
            item: c.clone(),
            on: today,
        })])
    }

    /// A progress report by the item's responsible party.
    pub(crate) fn report_progress(
        &self,
        c: &ReportProgress,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        let item = state
            .programme
            .items
            .iter()
            .find(|i| i.item.programme == c.programme && i.item.number == c.item)
            .ok_or_else(|| {
                CouncilError::NotFound(format!("item {} of programme {}", c.item, c.programme))
            })?;
        if item.item.responsible != c.reporter {
            return Err(CouncilError::NotResponsible(format!(
                "item {} of programme {} is {}'s to report on, not {}'s",
                c.item, c.programme, item.item.responsible, c.reporter
            )));
        }
        if c.percent > 100 || (c.status == ItemStatus::Done) != (c.percent == 100) {
            return Err(CouncilError::OutOfOrder(
                "percent is 0 to 99 while in progress and 100 when done".into(),
            ));
        }
        said("the report's note", &c.note, 2000)?;
        if c.status == ItemStatus::NotStarted {
            return Err(CouncilError::OutOfOrder(
                "a report says the item is in progress or done".into(),
            ));
        }
        let last = state
            .programme
            .reports
            .iter()
            .rev()
            .find(|r| r.report.item == c.item);
        if last.is_some_and(|r| r.report.status == ItemStatus::Done) {
            return Err(CouncilError::OutOfOrder(format!(
                "item {} is already reported done",
                c.item
            )));
        }
        Ok(vec![Event::ProgressReported(ProgressReported {
            report: c.clone(),
            on: today,
        })])
    }

    fn check_party(&self, party: &Party) -> Result<(), CouncilError> {
        match party {
            Party::Member(m) if self.charter.member(*m).is_none() => Err(
                CouncilError::NotInCharter(format!("{m} is not a state of the charter")),
            ),
            Party::Body(b) if self.charter.body(b).is_none() => Err(CouncilError::NotInCharter(
                format!("`{b}` is not a body of the charter"),
            )),
            _ => Ok(()),
        }
    }
}

/// Whose key reports for a party: a member's own, the secretariat's for a body.
pub fn reporter_key(party: &Party) -> KeyOwner {
    match party {
        Party::Member(m) => KeyOwner::Member(*m),
        Party::Body(_) => KeyOwner::Secretariat,
    }
}
