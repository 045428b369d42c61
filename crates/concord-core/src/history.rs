//! The recorded history of the organisation: sessions, documents, appointments,
//! chairmanship priorities, status changes, exercises and programmes, each citing the
//! source articles it comes from. Where a source does not say a thing, it stays unknown.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::charter::{Charter, blank};
use crate::code::{MemberCode, Slug};
use crate::date::{self, PartialDate};
use crate::event::Event;
use crate::location::{DataError, DataPath, SourceFile};
use crate::registry::{MemberStatus, StatusRecord};
use crate::text::Text;

/// A source article the history cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The file name it is cited by.
    pub file: String,
    /// Its headline, in its own language.
    pub title: String,
    /// When it was published, as far as it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<PartialDate>,
}

/// Whether a session took place or was announced.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStatus {
    /// It took place.
    Held,
    /// A source announced it; no source here says it took place.
    Planned,
}

/// A format a session (or part of it) was held in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionFormat {
    /// Heads of delegation only.
    Narrow,
    /// With full delegations.
    Expanded,
    /// Open to the press.
    Open,
    /// Closed.
    Closed,
    /// Held by videoconference.
    Videoconference,
    /// An extraordinary session, outside the regular plan.
    Extraordinary,
}

/// How a member stood towards a session.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attendance {
    /// Its delegation attended.
    Present,
    /// Its delegation took part by video link.
    PresentByVideo,
    /// Absent, but agreed all documents in advance (through its foreign ministry).
    AbsentAgreed,
    /// Absent without prior agreement.
    Absent,
    /// Its participation is frozen.
    Frozen,
}

impl Attendance {
    /// The written form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::PresentByVideo => "present-by-video",
            Attendance::AbsentAgreed => "absent-agreed",
            Attendance::Absent => "absent",
            Attendance::Frozen => "frozen",
        }
    }

    /// Parses the written form.
    pub fn parse(s: &str) -> Option<Attendance> {
        [
            Attendance::Present,
            Attendance::PresentByVideo,
            Attendance::AbsentAgreed,
            Attendance::Absent,
            Attendance::Frozen,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// A person named by a source, with the title under which they acted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Name.
    pub name: Text,
    /// Title or rank.
    pub title: Text,
    /// In which capacity they represented their state, when a source says so (a head of
    /// government may represent a state at the heads of state's council).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
}

/// The capacity in which a person represented a state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capacity {
    /// Head of state.
    HeadOfState,
    /// Head of government.
    HeadOfGovernment,
    /// A minister.
    Minister,
    /// A plenipotentiary or other representative.
    Representative,
}

/// A meeting of one body, or a joint meeting of several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Identifier (`csc-2023-minsk`).
    pub id: Slug,
    /// The body meeting; several for a joint meeting.
    pub bodies: Vec<Slug>,
    /// When, as precisely as the sources say.
    pub date: PartialDate,
    /// Held or planned.
    pub status: SessionStatus,
    /// City, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Text>,
    /// Host state, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<MemberCode>,
    /// Venue, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<Text>,
    /// The chairing member, when a source says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chair: Option<MemberCode>,
    /// Formats it was held in.
    #[serde(default)]
    pub formats: Vec<SessionFormat>,
    /// Each member's attendance, where the sources say it.
    #[serde(default)]
    pub attendance: BTreeMap<MemberCode, Attendance>,
    /// Heads of delegation named by the sources.
    #[serde(default)]
    pub heads: BTreeMap<MemberCode, Person>,
    /// Agenda items, as the sources describe them.
    #[serde(default)]
    pub agenda: Vec<Text>,
    /// Anything else the sources say of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// Source articles.
    pub sources: Vec<String>,
    /// Confidential: the session and its documents are read by member states (while
    /// members) and the secretariat only (emergency consultations on a request for
    /// collective assistance, or a session opened so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confidential: bool,
}

/// Where a document stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentStatus {
    /// Put before a session; no source here says it was adopted.
    Submitted,
    /// Adopted (signed, approved).
    Adopted,
    /// Blocked: a member objected, or was absent without agreeing.
    Blocked,
}

impl DocumentStatus {
    /// The written form.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentStatus::Submitted => "submitted",
            DocumentStatus::Adopted => "adopted",
            DocumentStatus::Blocked => "blocked",
        }
    }
}

/// A document of a session, as the sources list it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Identifier (`2023-crisis-response-decision`).
    pub id: Slug,
    /// The session it was put before.
    pub session: Slug,
    /// Document type, from the charter.
    #[serde(rename = "type")]
    pub doc_type: Slug,
    /// Title.
    pub title: Text,
    /// Submitted or adopted.
    pub status: DocumentStatus,
    /// Anything else the sources say of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// Source articles.
    pub sources: Vec<String>,
}

/// A person in a post: appointed at a session, or attested in office on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    /// The post, from the charter.
    pub post: Slug,
    /// The person and their rank.
    pub person: Person,
    /// Nationality, when a source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<MemberCode>,
    /// Acting, when a source says so: the rotation's turn is not spent by an acting holder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub acting: bool,
    /// The session that decided the appointment, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Slug>,
    /// A day a source shows the person in office.
    #[serde(
        default,
        with = "date::day::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub attested: Option<Date>,
    /// Source articles.
    pub sources: Vec<String>,
}

/// What a chairmanship stated for its year: motto and numbered priorities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChairmanshipStatement {
    /// The year of the term.
    pub year: i32,
    /// The chairing member the sources name; it must agree with the rotation rule.
    pub member: MemberCode,
    /// Motto, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motto: Option<Text>,
    /// Priorities, in their stated order.
    #[serde(default)]
    pub priorities: Vec<Text>,
    /// The session at which they were stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_at: Option<Slug>,
    /// Source articles.
    pub sources: Vec<String>,
}

/// A count as the sources give it: exact, or an upper bound ("up to 2,000").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Count {
    /// Exactly this many.
    Exact(u64),
    /// At most this many.
    UpTo {
        /// The bound.
        up_to: u64,
    },
}

/// The totals of a year's exercises with the collective forces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseYear {
    /// The year.
    pub year: i32,
    /// States where exercises were held.
    pub hosts: Vec<MemberCode>,
    /// People taking part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personnel: Option<Count>,
    /// Units of equipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<Count>,
    /// Aircraft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aircraft: Option<Count>,
    /// Anything else the sources say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// Source articles.
    pub sources: Vec<String>,
}

/// One exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Identifier.
    pub id: Slug,
    /// The year.
    pub year: i32,
    /// Name, when a source gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Host state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<MemberCode>,
    /// Whether it was in the plan (false: unscheduled).
    pub scheduled: bool,
    /// What it was.
    pub description: Text,
    /// States taking part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<MemberCode>,
    /// People taking part, when a source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personnel: Option<Count>,
    /// Units of equipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<Count>,
    /// Aircraft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aircraft: Option<Count>,
    /// Source articles.
    pub sources: Vec<String>,
}

/// A stage of a standing operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationStage {
    /// Its name, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// First day (as precisely as known).
    pub from: PartialDate,
    /// Last day, once over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<PartialDate>,
    /// States taking part.
    #[serde(default)]
    pub participants: Vec<MemberCode>,
    /// Observer states.
    #[serde(default)]
    pub observers: Vec<MemberCode>,
}

/// A result of a standing operation, as of a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationResult {
    /// As of when.
    pub as_of: PartialDate,
    /// What was achieved.
    pub text: Text,
}

/// A standing regional operation against one threat (drugs, illegal migration,
/// cybercrime, foreign terrorist fighters...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Identifier (`kanal`).
    pub code: Slug,
    /// Name.
    pub name: Text,
    /// Threat domain, from the charter.
    pub domain: Slug,
    /// Since when it runs.
    pub since: PartialDate,
    /// Whether it is permanent.
    #[serde(default)]
    pub permanent: bool,
    /// Its stages.
    #[serde(default)]
    pub stages: Vec<OperationStage>,
    /// Its results.
    #[serde(default)]
    pub results: Vec<OperationResult>,
    /// Source articles.
    pub sources: Vec<String>,
}

/// A targeted interstate programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Programme {
    /// Identifier.
    pub id: Slug,
    /// Title.
    pub title: Text,
    /// The document that approves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Slug>,
    /// Source articles.
    pub sources: Vec<String>,
}

/// The whole history dataset, checked against a charter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Source articles.
    pub sources: Vec<Source>,
    /// Status changes.
    #[serde(default)]
    pub statuses: Vec<StatusRecord>,
    /// Sessions.
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// Documents.
    #[serde(default)]
    pub documents: Vec<Document>,
    /// Appointments.
    #[serde(default)]
    pub appointments: Vec<Appointment>,
    /// Chairmanship statements.
    #[serde(default)]
    pub chairmanships: Vec<ChairmanshipStatement>,
    /// Standing regional operations.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// Yearly exercise totals.
    #[serde(default)]
    pub exercise_years: Vec<ExerciseYear>,
    /// Exercises.
    #[serde(default)]
    pub exercises: Vec<Exercise>,
    /// Programmes.
    #[serde(default)]
    pub programmes: Vec<Programme>,
}

type Check = Result<(), (DataPath, String)>;

impl History {
    /// Reads a history from TOML text and checks it against the charter; `name` is the
    /// file name used in errors.
    pub fn from_toml(name: &str, text: &str, charter: &Charter) -> Result<History, DataError> {
        let file = SourceFile { name, text };
        let history: History = file.parse()?;
        history
            .check(charter)
            .map_err(|(path, msg)| file.error_at_path(&path, msg))?;
        Ok(history)
    }

    /// The events that record this history, in an order in which each refers only to what
    /// came before.
    pub fn events(&self) -> Vec<Event> {
        let mut events = Vec::new();
        events.extend(self.sources.iter().cloned().map(Event::SourceCited));
        events.extend(self.statuses.iter().cloned().map(Event::StatusRecorded));
        let mut sessions = self.sessions.clone();
        sessions.sort_by_key(|s| s.date);
        events.extend(sessions.into_iter().map(Event::SessionRecorded));
        events.extend(self.documents.iter().cloned().map(Event::DocumentRecorded));
        events.extend(
            self.appointments
                .iter()
                .cloned()
                .map(Event::AppointmentRecorded),
        );
        events.extend(
            self.chairmanships
                .iter()
                .cloned()
                .map(Event::ChairmanshipStated),
        );
        events.extend(
            self.exercise_years
                .iter()
                .cloned()
                .map(Event::ExerciseYearRecorded),
        );
        events.extend(self.exercises.iter().cloned().map(Event::ExerciseRecorded));
        events.extend(
            self.operations
                .iter()
                .cloned()
                .map(Event::OperationRecorded),
        );
        events.extend(
            self.programmes
                .iter()
                .cloned()
                .map(Event::ProgrammeRecorded),
        );
        events
    }

    fn check(&self, charter: &Charter) -> Check {
        let known_sources: BTreeSet<&str> = self.sources.iter().map(|s| s.file.as_str()).collect();
        if known_sources.len() != self.sources.len() {
            return Err((
                DataPath::root("sources"),
                "a source file is listed twice".into(),
            ));
        }
        let cites = |sources: &[String], at: DataPath| -> Check {
            if sources.is_empty() {
                return Err((at, "every record cites at least one source article".into()));
            }
            for (i, s) in sources.iter().enumerate() {
                if !known_sources.contains(s.as_str()) {
                    return Err((
                        at.index(i),
                        format!("unknown source `{s}`: list it under [[sources]]"),
                    ));
                }
            }
            Ok(())
        };
        let member = |code: MemberCode, at: DataPath| -> Check {
            match charter.member(code) {
                Some(_) => Ok(()),
                None => Err((
                    at,
                    format!("unknown member code `{code}`: the charter has no such member"),
                )),
            }
        };

        for (i, s) in self.statuses.iter().enumerate() {
            let at = DataPath::root("statuses").index(i);
            member(s.member, at.key("member"))?;
            if s.effective().is_none() {
                return Err((
                    at,
                    "give `since` (the day it began) or `attested` (a day a source shows it)"
                        .into(),
                ));
            }
            cites(&s.sources, at.key("sources"))?;
        }
        let timeline = charter.timeline(self.statuses.iter().cloned());

        let mut sessions = BTreeMap::new();
        for (i, s) in self.sessions.iter().enumerate() {
            let at = DataPath::root("sessions").index(i);
            if sessions.insert(s.id.clone(), s).is_some() {
                return Err((
                    at.key("id"),
                    format!("session `{}` is recorded twice", s.id),
                ));
            }
            if s.bodies.is_empty() {
                return Err((at.key("bodies"), "name the body (or bodies) meeting".into()));
            }
            for (j, b) in s.bodies.iter().enumerate() {
                if charter.body(b).is_none() {
                    return Err((at.key("bodies").index(j), format!("unknown body `{b}`")));
                }
            }
            for (key, code) in [("country", s.country), ("chair", s.chair)] {
                if let Some(code) = code {
                    member(code, at.key(key))?;
                }
            }
            if s.status == SessionStatus::Planned && !s.attendance.is_empty() {
                return Err((
                    at.key("attendance"),
                    "a planned session has no attendance yet".into(),
                ));
            }
            for (code, attendance) in &s.attendance {
                let here = at.key("attendance").key(code.as_str());
                member(*code, here.clone())?;
                let day = s.date.day_or_bound().ok_or_else(|| {
                    (
                        at.key("date"),
                        "attendance needs the day of the session, or the latest it can be"
                            .to_string(),
                    )
                })?;
                let frozen = timeline.status_on(*code, day).map(|st| st.status)
                    == Some(MemberStatus::Frozen);
                if frozen != (*attendance == Attendance::Frozen) {
                    let status = timeline
                        .status_on(*code, day)
                        .map_or("unknown", |st| st.status.as_str());
                    return Err((
                        here,
                        format!(
                            "attendance `{}` contradicts {code}'s status on {day}: {status}",
                            attendance.as_str()
                        ),
                    ));
                }
            }
            for code in s.heads.keys() {
                member(*code, at.key("heads").key(code.as_str()))?;
            }
            for (j, item) in s.agenda.iter().enumerate() {
                blank(item, at.key("agenda").index(j))?;
            }
            cites(&s.sources, at.key("sources"))?;
        }
        let session = |id: &Slug, at: DataPath| -> Check {
            if sessions.contains_key(id) {
                Ok(())
            } else {
                Err((at, format!("unknown session `{id}`")))
            }
        };

        let mut documents = BTreeSet::new();
        for (i, d) in self.documents.iter().enumerate() {
            let at = DataPath::root("documents").index(i);
            if !documents.insert(d.id.clone()) {
                return Err((
                    at.key("id"),
                    format!("document `{}` is recorded twice", d.id),
                ));
            }
            session(&d.session, at.key("session"))?;
            if !charter.has_document_type(&d.doc_type) {
                return Err((
                    at.key("type"),
                    format!("unknown document type `{}`", d.doc_type),
                ));
            }
            blank(&d.title, at.key("title"))?;
            cites(&d.sources, at.key("sources"))?;
        }

        for (i, a) in self.appointments.iter().enumerate() {
            let at = DataPath::root("appointments").index(i);
            if charter.post(&a.post).is_none() {
                return Err((at.key("post"), format!("unknown post `{}`", a.post)));
            }
            if let Some(code) = a.nationality {
                member(code, at.key("nationality"))?;
            }
            if let Some(s) = &a.decided_at {
                session(s, at.key("decided_at"))?;
            } else if a.attested.is_none() {
                return Err((
                    at,
                    "give `decided_at` (the session) or `attested` (a day in office)".into(),
                ));
            }
            cites(&a.sources, at.key("sources"))?;
        }

        let mut years = BTreeSet::new();
        for (i, c) in self.chairmanships.iter().enumerate() {
            let at = DataPath::root("chairmanships").index(i);
            if !years.insert(c.year) {
                return Err((
                    at.key("year"),
                    format!("chairmanship {} is recorded twice", c.year),
                ));
            }
            member(c.member, at.key("member"))?;
            let computed = charter
                .chairmanship
                .chair_for_year(&timeline, c.year)
                .map_err(|e| (at.key("year"), e.to_string()))?;
            if computed.member != c.member {
                return Err((
                    at.key("member"),
                    format!(
                        "the sources name {} for {}, but the charter's rotation gives {}",
                        c.member, c.year, computed.member
                    ),
                ));
            }
            if let Some(s) = &c.stated_at {
                session(s, at.key("stated_at"))?;
            }
            for (j, p) in c.priorities.iter().enumerate() {
                blank(p, at.key("priorities").index(j))?;
            }
            cites(&c.sources, at.key("sources"))?;
        }

        for (i, y) in self.exercise_years.iter().enumerate() {
            let at = DataPath::root("exercise_years").index(i);
            for (j, h) in y.hosts.iter().enumerate() {
                member(*h, at.key("hosts").index(j))?;
            }
            cites(&y.sources, at.key("sources"))?;
        }
        let mut exercises = BTreeSet::new();
        for (i, e) in self.exercises.iter().enumerate() {
            let at = DataPath::root("exercises").index(i);
            if !exercises.insert(e.id.clone()) {
                return Err((
                    at.key("id"),
                    format!("exercise `{}` is recorded twice", e.id),
                ));
            }
            if let Some(h) = e.host {
                member(h, at.key("host"))?;
            }
            for (j, p) in e.participants.iter().enumerate() {
                member(*p, at.key("participants").index(j))?;
            }
            cites(&e.sources, at.key("sources"))?;
        }
        let mut operations = BTreeSet::new();
        for (i, o) in self.operations.iter().enumerate() {
            let at = DataPath::root("operations").index(i);
            if !operations.insert(o.code.clone()) {
                return Err((
                    at.key("code"),
                    format!("operation `{}` is recorded twice", o.code),
                ));
            }
            if !charter.threat_domains.iter().any(|d| d.code == o.domain) {
                return Err((
                    at.key("domain"),
                    format!("unknown threat domain `{}`", o.domain),
                ));
            }
            for (j, stage) in o.stages.iter().enumerate() {
                let st = at.key("stages").index(j);
                for (k, p) in stage.participants.iter().enumerate() {
                    member(*p, st.key("participants").index(k))?;
                }
                if stage.to.is_some_and(|to| to < stage.from) {
                    return Err((st.key("to"), "a stage ends before it begins".into()));
                }
            }
            cites(&o.sources, at.key("sources"))?;
        }
        for (i, p) in self.programmes.iter().enumerate() {
            let at = DataPath::root("programmes").index(i);
            if let Some(d) = &p.document {
                if !documents.contains(d) {
                    return Err((at.key("document"), format!("unknown document `{d}`")));
                }
            }
            cites(&p.sources, at.key("sources"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHARTER: &str = include_str!("../../../data/charter.toml");
    const HISTORY: &str = include_str!("../../../data/history.toml");

    fn charter() -> Charter {
        Charter::from_toml("charter.toml", CHARTER).unwrap()
    }

    fn broken(from: &str, to: &str) -> DataError {
        assert!(
            HISTORY.contains(from),
            "fixture text `{from}` not in the history"
        );
        History::from_toml("history.toml", &HISTORY.replacen(from, to, 1), &charter()).unwrap_err()
    }

    fn line_of(needle: &str) -> usize {
        HISTORY.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn the_shipped_history_is_valid_and_cites_only_its_articles() {
        let h = History::from_toml("history.toml", HISTORY, &charter()).unwrap();
        assert_eq!(h.sources.len(), 5);
        assert!(h.sessions.len() >= 4);
        assert!(h.events().len() > 20);
    }

    #[test]
    fn an_unknown_member_in_attendance_names_the_record() {
        let err = broken("ARM = \"frozen\"", "XYZ = \"frozen\"");
        assert!(err.message.contains("unknown member code `XYZ`"), "{err}");
        assert!(err.message.contains(".attendance.XYZ"), "{err}");
        assert_eq!(err.line, Some(line_of("ARM = \"frozen\"")), "{err}");
    }

    #[test]
    fn attendance_must_agree_with_the_status_timeline() {
        let err = broken("ARM = \"frozen\"", "ARM = \"present\"");
        assert!(err.message.contains("contradicts ARM's status"), "{err}");
    }

    #[test]
    fn a_chairmanship_against_the_rotation_is_refused() {
        let err = broken(
            "year = 2025\nmember = \"KGZ\"",
            "year = 2025\nmember = \"RUS\"",
        );
        assert!(err.message.contains("rotation gives KGZ"), "{err}");
    }

    #[test]
    fn an_uncited_source_is_refused() {
        let err = broken(
            "sources = [\"003_f2608bd43c9350e4.txt\"]",
            "sources = [\"999.txt\"]",
        );
        assert!(err.message.contains("unknown source `999.txt`"), "{err}");
    }

    #[test]
    fn a_bad_date_is_refused_where_it_stands() {
        let err = broken("date = \"2024-11-28\"", "date = \"2024-13-28\"");
        assert!(err.message.contains("is not a date"), "{err}");
        assert_eq!(err.line, Some(line_of("date = \"2024-11-28\"")), "{err}");
    }
}
