//! The chairmanship's year: the chair states its motto and numbered priorities, links to
//! each priority what served it (documents, programmes, sessions, exercises, operations),
//! and at the year's end submits its annual report. The report is generated from the record
//! at the edge; the chair signs the SHA-256 of its canonical form, which goes onto the
//! ledger, so anyone can generate it again and compare.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::code::{MemberCode, Slug};
use crate::council::{Council, CouncilError, State};
use crate::event::Event;
use crate::history::ChairmanshipStatement;
use crate::text::Text;

/// The chair states its motto and priorities for its year.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatePriorities {
    /// The year.
    pub year: i32,
    /// The chairing member (by the rotation).
    pub chair: MemberCode,
    /// Motto, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motto: Option<Text>,
    /// The priorities, in their order (numbered from 1).
    pub priorities: Vec<Text>,
}

/// A record that served a priority.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum RecordRef {
    /// A document.
    Document(Slug),
    /// A programme or action plan being carried out (its document).
    Programme(Slug),
    /// A session.
    Session(Slug),
    /// An exercise.
    Exercise(Slug),
    /// A standing operation.
    Operation(Slug),
}

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordRef::Document(id) => write!(f, "document {id}"),
            RecordRef::Programme(id) => write!(f, "programme {id}"),
            RecordRef::Session(id) => write!(f, "session {id}"),
            RecordRef::Exercise(id) => write!(f, "exercise {id}"),
            RecordRef::Operation(id) => write!(f, "operation {id}"),
        }
    }
}

/// Links a record to one of the year's priorities.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkPriority {
    /// The year.
    pub year: i32,
    /// The priority's number, from 1.
    pub priority: u32,
    /// What served it.
    pub record: RecordRef,
}

/// A link as recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityLinked {
    /// The link.
    pub link: LinkPriority,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// The chair submits its year's report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitAnnualReport {
    /// The year of the chairmanship.
    pub year: i32,
    /// The chairing member (by the rotation).
    pub chair: MemberCode,
    /// SHA-256 (hex) of the report's canonical JSON as Concord generates it from the record
    /// (`GET /api/v1/annual-reports/{year}` gives it; the PDF prints it on every page).
    pub sha256: String,
}

/// A submitted report as recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnualReportSubmitted {
    /// What was submitted.
    pub report: SubmitAnnualReport,
    /// The day.
    #[serde(with = "crate::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
}

/// A chairmanship year, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ChairFile {
    /// The statement of motto and priorities.
    pub statement: Option<ChairmanshipStatement>,
    /// Links to priorities, in order.
    pub links: Vec<PriorityLinked>,
    /// The submitted report.
    pub report: Option<AnnualReportSubmitted>,
}

impl ChairFile {
    /// Folds a chairmanship year's events, in ledger order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> ChairFile {
        let mut file = ChairFile::default();
        for event in events {
            match event {
                Event::ChairmanshipStated(s) => file.statement = Some(s.clone()),
                Event::PriorityLinked(l) => file.links.push(l.clone()),
                Event::AnnualReportSubmitted(r) => file.report = Some(r.clone()),
                _ => {}
            }
        }
        file
    }
}

impl Council<'_> {
    fn check_chair(&self, year: i32, chair: MemberCode) -> Result<(), CouncilError> {
        let expected = self
            .charter
            .chairmanship
            .chair_for_year(self.timeline, year)
            .map_err(|e| CouncilError::Rotation(e.to_string()))?;
        if expected.member != chair {
            return Err(CouncilError::NotChair(format!(
                "{} chairs in {year} by the rotation, not {chair}",
                expected.member
            )));
        }
        Ok(())
    }

    /// The chair states its priorities, once.
    pub(crate) fn state_priorities(
        &self,
        c: &StatePriorities,
        state: &State,
    ) -> Result<Vec<Event>, CouncilError> {
        self.check_chair(c.year, c.chair)?;
        if state.chairmanship.statement.is_some() {
            return Err(CouncilError::AlreadyExists(format!(
                "the priorities of {}'s chairmanship in {}",
                c.chair, c.year
            )));
        }
        if c.priorities.is_empty() || c.priorities.len() > 50 {
            return Err(CouncilError::OutOfOrder(
                "a chair states 1 to 50 priorities".into(),
            ));
        }
        for p in &c.priorities {
            super::said("a priority", p, 500)?;
        }
        if let Some(m) = &c.motto {
            super::said("the motto", m, 300)?;
        }
        Ok(vec![Event::ChairmanshipStated(ChairmanshipStatement {
            year: c.year,
            member: c.chair,
            motto: c.motto.clone(),
            priorities: c.priorities.clone(),
            stated_at: None,
            sources: vec![],
        })])
    }

    /// Links an existing record to a stated priority.
    pub(crate) fn link_priority(
        &self,
        c: &LinkPriority,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        let statement = state
            .chairmanship
            .statement
            .as_ref()
            .ok_or_else(|| CouncilError::NotFound(format!("the priorities of {}", c.year)))?;
        if c.priority == 0 || c.priority as usize > statement.priorities.len() {
            return Err(CouncilError::NotFound(format!(
                "priority {} of {} (it has {})",
                c.priority,
                c.year,
                statement.priorities.len()
            )));
        }
        if !state.linked_record_exists {
            return Err(CouncilError::NotFound(c.record.to_string()));
        }
        if state.chairmanship.links.iter().any(|l| l.link == *c) {
            return Err(CouncilError::AlreadyExists(format!(
                "the link of {} to priority {}",
                c.record, c.priority
            )));
        }
        Ok(vec![Event::PriorityLinked(PriorityLinked {
            link: c.clone(),
            on: today,
        })])
    }

    /// Submits a year's report: by that year's chair, once, for the report as generated.
    pub(crate) fn submit_annual_report(
        &self,
        c: &SubmitAnnualReport,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        if state.chairmanship.report.is_some() {
            return Err(CouncilError::AlreadyExists(format!(
                "the annual report of {}",
                c.year
            )));
        }
        if c.year > today.year() {
            return Err(CouncilError::OutOfOrder(format!(
                "the year {} has not begun: there is nothing to report",
                c.year
            )));
        }
        self.check_chair(c.year, c.chair)?;
        match &state.report_digest {
            Some(d) if d.eq_ignore_ascii_case(&c.sha256) => {}
            Some(d) => {
                return Err(CouncilError::ReportChanged(format!(
                    "the report signed has SHA-256 {}, but the report of {} as generated now from the record has {d}: generate it again and sign that",
                    c.sha256, c.year
                )));
            }
            None => return Err(CouncilError::NotFound(format!("a report of {}", c.year))),
        }
        Ok(vec![Event::AnnualReportSubmitted(AnnualReportSubmitted {
            report: SubmitAnnualReport {
                sha256: c.sha256.to_ascii_lowercase(),
                ..c.clone()
            },
            on: today,
        })])
    }
}
