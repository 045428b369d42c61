//! Situations: the crisis-response centre groups incident reports into a situation and
//! sets its crisis level. A situation is the secretariat's record, read by member states
//! (while members) and the secretariat; the reports it groups keep their own
//! releasability, so a reader sees only the reports it may read.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::code::Slug;
use crate::event::Event;
use crate::text::Text;

use super::{Council, CouncilError, State};

/// How grave a situation is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrisisLevel {
    /// Watched.
    Monitoring,
    /// Heightened readiness of the national centres.
    Elevated,
    /// A crisis: the collective-security mechanisms are engaged.
    Crisis,
    /// A crisis calling for collective forces.
    Emergency,
}

/// Opens a situation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenSituation {
    /// Identifier.
    pub id: Slug,
    /// Title.
    pub title: Text,
    /// Its level at the start.
    pub level: CrisisLevel,
}

/// Groups a report into a situation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachReport {
    /// The situation.
    pub situation: Slug,
    /// The incident report.
    pub report: Slug,
}

/// Changes a situation's crisis level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCrisisLevel {
    /// The situation.
    pub situation: Slug,
    /// The new level.
    pub level: CrisisLevel,
    /// Why.
    pub reason: String,
}

/// A situation's change, as logged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum SituationChange {
    /// Opened.
    Opened {
        /// The situation.
        situation: Slug,
        /// Title.
        title: Text,
        /// Level.
        level: CrisisLevel,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: OffsetDateTime,
    },
    /// A report grouped in.
    ReportAttached {
        /// The situation.
        situation: Slug,
        /// The report.
        report: Slug,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: OffsetDateTime,
    },
    /// A new level.
    LevelSet {
        /// The situation.
        situation: Slug,
        /// The level.
        level: CrisisLevel,
        /// Why.
        reason: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: OffsetDateTime,
    },
}

impl SituationChange {
    /// The situation changed.
    pub fn situation(&self) -> &Slug {
        match self {
            SituationChange::Opened { situation, .. }
            | SituationChange::ReportAttached { situation, .. }
            | SituationChange::LevelSet { situation, .. } => situation,
        }
    }
}

/// A situation, folded from its changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SituationFile {
    /// Identifier, once opened.
    pub id: Option<Slug>,
    /// Title.
    pub title: Option<Text>,
    /// The current level.
    pub level: Option<CrisisLevel>,
    /// The reports grouped in, in order.
    pub reports: Vec<Slug>,
    /// Every change, in order.
    pub changes: Vec<SituationChange>,
}

impl SituationFile {
    /// Folds a situation's events, in ledger order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> SituationFile {
        let mut file = SituationFile::default();
        for event in events {
            let Event::SituationChanged(change) = event else {
                continue;
            };
            match change {
                SituationChange::Opened {
                    situation,
                    title,
                    level,
                    ..
                } => {
                    file.id = Some(situation.clone());
                    file.title = Some(title.clone());
                    file.level = Some(*level);
                }
                SituationChange::ReportAttached { report, .. } => file.reports.push(report.clone()),
                SituationChange::LevelSet { level, .. } => file.level = Some(*level),
            }
            file.changes.push(change.clone());
        }
        file
    }
}

impl Council<'_> {
    pub(super) fn open_situation(
        &self,
        c: &OpenSituation,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        if state.situation.id.is_some() {
            return Err(CouncilError::AlreadyExists(format!("situation {}", c.id)));
        }
        Ok(vec![Event::SituationChanged(SituationChange::Opened {
            situation: c.id.clone(),
            title: c.title.clone(),
            level: c.level,
            at: now,
        })])
    }

    pub(super) fn attach_report(
        &self,
        c: &AttachReport,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        if state.situation.id.is_none() {
            return Err(CouncilError::NotFound(format!("situation {}", c.situation)));
        }
        // A report the secretariat may not read is, to it, a report that does not exist.
        let readable = state.incident.as_ref().is_some_and(|r| {
            crate::access::may_read(
                &crate::access::of_report(r),
                &crate::releasability::Reader::Secretariat,
                &self.charter.sharing_groups,
            )
        });
        if !readable {
            return Err(CouncilError::NotFound(format!(
                "incident report {}",
                c.report
            )));
        }
        if state.situation.reports.contains(&c.report) {
            return Err(CouncilError::AlreadyExists(format!(
                "report {} in situation {}",
                c.report, c.situation
            )));
        }
        Ok(vec![Event::SituationChanged(
            SituationChange::ReportAttached {
                situation: c.situation.clone(),
                report: c.report.clone(),
                at: now,
            },
        )])
    }

    pub(super) fn set_level(
        &self,
        c: &SetCrisisLevel,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        let Some(current) = state.situation.level else {
            return Err(CouncilError::NotFound(format!("situation {}", c.situation)));
        };
        if current == c.level {
            return Err(CouncilError::OutOfOrder(format!(
                "situation {} is already at that level",
                c.situation
            )));
        }
        if c.reason.trim().is_empty() {
            return Err(CouncilError::OutOfOrder(
                "a change of level states its reason".into(),
            ));
        }
        Ok(vec![Event::SituationChanged(SituationChange::LevelSet {
            situation: c.situation.clone(),
            level: c.level,
            reason: c.reason.clone(),
            at: now,
        })])
    }
}
