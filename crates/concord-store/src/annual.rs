//! The chair's annual report, generated from the record: sessions held and attendance,
//! documents decided, programmes' progress, exercises with their totals, incidents by
//! threat domain and month, requests for assistance and deployments, budget execution, and
//! each priority with what served it.
//!
//! The report is a pure function of the ledger's records dated in the year (items, reports
//! and payments up to 31 December), so it is the same whenever it is generated; its digest
//! is the SHA-256 of its canonical JSON (RFC 8785), which the chair signs. The public part
//! is the same report read as the public reads: what the access policy withholds from the
//! public is left out, not summarised.

use std::collections::BTreeMap;

use concord_core::charter::Charter;
use concord_core::code::{MemberCode, Slug};
use concord_core::consensus::{Outcome, Stance};
use concord_core::history::{Attendance, DocumentStatus};
use concord_core::releasability::Reader;
use concord_core::text::Text;
use concord_core::year::{ChairFile, RecordRef};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Date, Month};

use crate::access::{may_read_document, may_read_session, reads_confidential};
use crate::queries::QueryError;
use crate::{IncidentFilter, SessionFilter, Store};

/// The version of the report's form, part of what is signed.
pub const FORMAT: &str = "concord-annual-report-v1";

/// Which part of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// Everything the members and the secretariat read: what the chair signs.
    Full,
    /// What the press centre publishes.
    Public,
}

/// The report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct AnnualReport {
    /// [`FORMAT`].
    pub format: &'static str,
    /// `full` or `public`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub part: Part,
    /// The ledger's origin: which deployment's record this is.
    pub origin: String,
    /// The organisation.
    pub organisation: Text,
    /// The year.
    pub year: i32,
    /// The chairing member, by the rotation.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub chair: MemberCode,
    /// Its name.
    pub chair_name: Text,
    /// The motto, if stated.
    pub motto: Option<Text>,
    /// Each priority and what served it.
    pub priorities: Vec<PriorityLine>,
    /// Sessions in the year.
    pub sessions: Vec<SessionLine>,
    /// Documents decided (or put before a session) in the year.
    pub documents: Vec<DocumentLine>,
    /// Programmes and action plans, standing on 31 December.
    pub programmes: Vec<ProgrammeLine>,
    /// Exercises.
    pub exercises: ExerciseLines,
    /// Incidents by threat domain and month (not in the public part).
    pub incidents: Option<Vec<DomainLine>>,
    /// Requests for collective assistance (not in the public part).
    pub requests: Option<Vec<RequestLine>>,
    /// Budget execution (not in the public part).
    pub budget: Option<BudgetLine>,
}

/// A priority.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct PriorityLine {
    /// Its number.
    pub number: u32,
    /// What it says.
    pub text: Text,
    /// Records linked to it, with their titles.
    pub served_by: Vec<ServedBy>,
}

/// A record that served a priority.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ServedBy {
    /// The record.
    pub record: RecordRef,
    /// Its title.
    pub title: Text,
}

/// A session.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct SessionLine {
    /// Identifier.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: Slug,
    /// The bodies' abbreviations.
    pub bodies: Vec<Text>,
    /// The date as recorded.
    pub date: String,
    /// The date as said.
    pub date_spoken: Text,
    /// City.
    pub city: Option<Text>,
    /// Formats (narrow, videoconference, extraordinary…).
    pub formats: Vec<String>,
    /// Attendance by member.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attendance: BTreeMap<MemberCode, Attendance>,
}

/// A document.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct DocumentLine {
    /// Identifier.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: Slug,
    /// Title.
    pub title: Text,
    /// Type.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub doc_type: Slug,
    /// Submitted, adopted or blocked.
    pub status: DocumentStatus,
    /// Members that stayed out (no interest: adopted in a limited format without them).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub stayed_out: Vec<MemberCode>,
    /// Members that objected, with their reasons.
    pub objections: Vec<Objection>,
}

/// A member's objection.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Objection {
    /// The member.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub member: MemberCode,
    /// Its reason.
    pub reason: Option<String>,
}

/// A programme's progress.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeLine {
    /// Its document.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: Slug,
    /// Title.
    pub title: Text,
    /// Items.
    pub items: usize,
    /// Done.
    pub done: usize,
    /// Overdue on 31 December.
    pub overdue: usize,
    /// Mean percent done.
    pub percent: u32,
}

/// The year's exercises.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseLines {
    /// The year's totals, as the sources give them.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub totals: Option<concord_core::history::ExerciseYear>,
    /// Each exercise: identifier and name.
    pub list: Vec<ExerciseLine>,
}

/// An exercise.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseLine {
    /// Identifier.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: Slug,
    /// Name or description.
    pub name: Text,
    /// Host.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub host: Option<MemberCode>,
}

/// Incidents of one threat domain by month.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct DomainLine {
    /// The domain.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub domain: Slug,
    /// Its name.
    pub name: Text,
    /// Reports of incidents that occurred in each month, January first.
    pub months: [u32; 12],
    /// The year's total.
    pub total: u32,
}

/// A request for collective assistance.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct RequestLine {
    /// Identifier.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: Slug,
    /// The requesting member.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub requester: MemberCode,
    /// The day.
    pub requested_on: String,
    /// The decision's outcome, once decided.
    pub decision: Option<String>,
    /// Pledged: units, personnel, equipment, aircraft.
    pub pledged: [u64; 4],
    /// The deployment's status.
    pub deployment: Option<String>,
}

/// Budget execution on 31 December.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct BudgetLine {
    /// Currency.
    pub currency: String,
    /// Total.
    pub total: String,
    /// Paid.
    pub paid: String,
    /// Outstanding.
    pub outstanding: String,
    /// Each member: assessed, paid, outstanding, stayed out.
    pub members: Vec<BudgetMemberLine>,
}

/// One member's contribution.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct BudgetMemberLine {
    /// The member.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub member: MemberCode,
    /// Assessed.
    pub assessed: String,
    /// Paid.
    pub paid: String,
    /// Outstanding.
    pub outstanding: String,
    /// Stayed out of the budget decision.
    pub stayed_out: bool,
}

impl AnnualReport {
    /// SHA-256 (hex) of the report's canonical JSON: what the chair signs.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(concord_ledger::canonical::to_vec(self)))
    }
}

/// Generates the report of `year` from the record, as `part` reads it.
pub async fn report(
    store: &dyn Store,
    charter: &Charter,
    origin: &str,
    year: i32,
    part: Part,
) -> Result<AnnualReport, QueryError> {
    let reader = match part {
        Part::Full => Reader::Secretariat,
        Part::Public => Reader::Public,
    };
    let groups = &charter.sharing_groups;
    let end = Date::from_calendar_date(year, Month::December, 31)
        .map_err(|_| QueryError::OutOfRange(format!("{year} is not a year")))?;
    if year > crate::projection::now().year() {
        return Err(QueryError::OutOfRange(format!(
            "the year {year} has not begun: there is no record to report on"
        )));
    }
    let timeline = charter.timeline(store.status_records().await?);
    let chair = charter.chairmanship.chair_for_year(&timeline, year)?.member;
    let file = ChairFile::fold(
        &store
            .subject_events(&format!("chairmanship/{year}"))
            .await?,
    );
    let statement = match file.statement {
        Some(s) => Some(s),
        None => store
            .chairmanship_statements()
            .await?
            .into_iter()
            .find(|s| s.year == year),
    };
    let mut priorities = Vec::new();
    for (i, text) in statement.iter().flat_map(|s| &s.priorities).enumerate() {
        let number = i as u32 + 1;
        let mut served_by = Vec::new();
        for link in file.links.iter().filter(|l| l.link.priority == number) {
            if let Some(title) = title_of(store, charter, &reader, &link.link.record).await? {
                served_by.push(ServedBy {
                    record: link.link.record.clone(),
                    title,
                });
            }
        }
        priorities.push(PriorityLine {
            number,
            text: text.clone(),
            served_by,
        });
    }
    let sessions = sessions(store, charter, &reader, year).await?;
    let documents = documents(store, &reader, groups, &sessions).await?;
    let mut programmes = Vec::new();
    for p in crate::year::programmes(store, charter, &reader, end).await? {
        // A programme belongs to the year it was put before a session in, or while it has
        // items being carried out.
        if p.items.is_empty() && !documents.iter().any(|d| d.id == p.id) {
            continue;
        }
        programmes.push(ProgrammeLine {
            id: p.id,
            title: p.title,
            items: p.items.len(),
            done: p.done,
            overdue: p.overdue,
            percent: p.percent,
        });
    }
    let exercises = ExerciseLines {
        totals: store
            .exercise_years()
            .await?
            .into_iter()
            .find(|e| e.year == year),
        list: store
            .exercises()
            .await?
            .into_iter()
            .filter(|e| e.year == year)
            .map(|e| ExerciseLine {
                id: e.id,
                name: e.name.unwrap_or(e.description),
                host: e.host,
            })
            .collect(),
    };
    let confidential = reads_confidential(&reader, groups);
    let (incidents, requests, budget) = if confidential {
        (
            Some(incidents(store, charter, &reader, year).await?),
            Some(requests(store, year).await?),
            budget(store, charter, &reader, year, end).await?,
        )
    } else {
        (None, None, None)
    };
    Ok(AnnualReport {
        format: FORMAT,
        part,
        origin: origin.to_owned(),
        organisation: charter.organisation.abbreviation.clone(),
        year,
        chair,
        chair_name: charter.member(chair).map_or_else(
            || Text::new(chair.to_string(), chair.to_string()),
            |m| m.name.clone(),
        ),
        motto: statement.and_then(|s| s.motto),
        priorities,
        sessions,
        documents,
        programmes,
        exercises,
        incidents,
        requests,
        budget,
    })
}

async fn title_of(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    record: &RecordRef,
) -> Result<Option<Text>, QueryError> {
    let groups = &charter.sharing_groups;
    Ok(match record {
        RecordRef::Document(id) | RecordRef::Programme(id) => {
            if may_read_document(store, reader, groups, id.as_str()).await? {
                store.document(id.as_str()).await?.map(|d| d.title)
            } else {
                None
            }
        }
        RecordRef::Session(id) => {
            if may_read_session(store, reader, groups, id.as_str()).await? {
                store.session(id.as_str()).await?.map(|s| {
                    let city = s.city.clone().unwrap_or_else(|| Text::new("", ""));
                    Text::new(
                        format!("{} {} {}", s.id, city.en, s.date.spoken("en"))
                            .trim()
                            .to_owned(),
                        format!("{} {} {}", s.id, city.ru, s.date.spoken("ru"))
                            .trim()
                            .to_owned(),
                    )
                })
            } else {
                None
            }
        }
        RecordRef::Exercise(id) => store
            .exercises()
            .await?
            .into_iter()
            .find(|e| &e.id == id)
            .map(|e| e.name.unwrap_or(e.description)),
        RecordRef::Operation(code) => store
            .operations()
            .await?
            .into_iter()
            .find(|o| &o.code == code)
            .map(|o| o.name),
    })
}

async fn sessions(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    year: i32,
) -> Result<Vec<SessionLine>, QueryError> {
    let mut out = Vec::new();
    let filter = SessionFilter {
        year: Some(year),
        body: None,
    };
    for s in store.sessions(&filter).await? {
        if !may_read_session(store, reader, &charter.sharing_groups, s.id.as_str()).await? {
            continue;
        }
        out.push(SessionLine {
            bodies: s
                .bodies
                .iter()
                .map(|b| {
                    charter.body(b).map_or_else(
                        || Text::new(b.as_str(), b.as_str()),
                        |b| b.abbreviation.clone(),
                    )
                })
                .collect(),
            date: s.date.to_string(),
            date_spoken: Text::new(s.date.spoken("en"), s.date.spoken("ru")),
            city: s.city.clone(),
            formats: s
                .formats
                .iter()
                .map(|f| {
                    serde_json::to_value(f)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect(),
            attendance: s.attendance.clone(),
            id: s.id,
        });
    }
    Ok(out)
}

async fn documents(
    store: &dyn Store,
    reader: &Reader,
    groups: &[concord_core::releasability::SharingGroup],
    sessions: &[SessionLine],
) -> Result<Vec<DocumentLine>, QueryError> {
    let ids: Vec<String> = sessions.iter().map(|s| s.id.to_string()).collect();
    let mut out = Vec::new();
    for d in store.documents(Some(&ids)).await? {
        if !may_read_document(store, reader, groups, d.id.as_str()).await? {
            continue;
        }
        let decision = store.decision(d.id.as_str()).await?.map(|(_, d)| d);
        let positions: Vec<_> = decision
            .iter()
            .flat_map(|d| &d.ballots)
            .filter_map(|b| b.position.as_ref().map(|p| &p.position))
            .collect();
        out.push(DocumentLine {
            stayed_out: positions
                .iter()
                .filter(|p| p.stance == Stance::NoInterest)
                .map(|p| p.member)
                .collect(),
            objections: positions
                .iter()
                .filter(|p| p.stance == Stance::Object)
                .map(|p| Objection {
                    member: p.member,
                    reason: p.reason.clone(),
                })
                .collect(),
            status: match decision.as_ref().map(|d| d.outcome) {
                Some(Outcome::Adopted) => DocumentStatus::Adopted,
                Some(Outcome::Blocked) => DocumentStatus::Blocked,
                None => d.status,
            },
            id: d.id,
            title: d.title,
            doc_type: d.doc_type,
        });
    }
    Ok(out)
}

async fn incidents(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    year: i32,
) -> Result<Vec<DomainLine>, QueryError> {
    let from = Date::from_calendar_date(year, Month::January, 1).expect("a year's first day");
    let to = Date::from_calendar_date(year + 1, Month::January, 1).expect("a year's first day");
    let filter = IncidentFilter {
        from: Some(crate::incidents::sortable_time(
            from.midnight().assume_utc(),
        )),
        to: Some(crate::incidents::sortable_time(to.midnight().assume_utc())),
        limit: i64::from(u32::MAX),
        ..IncidentFilter::default()
    };
    let found =
        crate::incidents::incidents(store, reader, &charter.sharing_groups, &filter).await?;
    let mut lines: Vec<DomainLine> = charter
        .threat_domains
        .iter()
        .map(|d| DomainLine {
            domain: d.code.clone(),
            name: d.name.clone(),
            months: [0; 12],
            total: 0,
        })
        .collect();
    for i in found {
        let r = &i.report;
        if let Some(line) = lines.iter_mut().find(|l| l.domain == r.domain) {
            line.months[r.occurred_at.month() as usize - 1] += 1;
            line.total += 1;
        }
    }
    Ok(lines)
}

async fn requests(store: &dyn Store, year: i32) -> Result<Vec<RequestLine>, QueryError> {
    let mut out = Vec::new();
    for subject in store.subjects("request").await? {
        let file =
            concord_core::council::AssistanceFile::fold(&store.subject_events(&subject).await?);
        let Some(r) = &file.request else { continue };
        if r.requested_at.year() != year {
            continue;
        }
        let decision = store
            .decision(r.decision.as_str())
            .await?
            .map(|(_, d)| match d.outcome {
                Outcome::Adopted => "adopted".to_owned(),
                Outcome::Blocked => "blocked".to_owned(),
            });
        out.push(RequestLine {
            id: r.id.clone(),
            requester: r.requester,
            requested_on: concord_core::PartialDate::Day(r.requested_at.date()).to_string(),
            decision,
            pledged: file.totals(),
            deployment: file.status().map(|s| s.as_str().to_owned()),
        });
    }
    Ok(out)
}

async fn budget(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    year: i32,
    end: Date,
) -> Result<Option<BudgetLine>, QueryError> {
    Ok(crate::year::budget(store, charter, reader, year, end)
        .await?
        .map(|b| BudgetLine {
            currency: b.currency.to_string(),
            total: b.total.to_string(),
            paid: b.paid.to_string(),
            outstanding: b.outstanding.to_string(),
            members: b
                .accounts
                .iter()
                .map(|a| BudgetMemberLine {
                    member: a.contribution.member,
                    assessed: a.contribution.assessed.to_string(),
                    paid: a.paid.to_string(),
                    outstanding: a.outstanding.to_string(),
                    stayed_out: a.contribution.stayed_out,
                })
                .collect(),
        }))
}
