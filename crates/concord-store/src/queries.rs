//! The read side shared by every interface: members with their status on a day, computed
//! chairmanships, sessions with their documents. The HTTP API and the CLI's `--json` print
//! these views, so they cannot drift apart.

use std::collections::BTreeMap;

use concord_core::chairmanship::{HandoverRule, RotationError, YEARS};
use concord_core::charter::Charter;
use concord_core::code::{MemberCode, Slug};
use concord_core::date::{self, PartialDate};
use concord_core::history::{
    Attendance, Document, DocumentStatus, Person, Session, SessionFormat, SessionStatus,
};
use concord_core::registry::MemberStatus;
use concord_core::text::Text;
use serde::Serialize;
use time::Date;

use crate::{SessionFilter, Store, StoreError};

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database holds no organisation yet.
    #[error("the database has no charter yet: run `concord init` first")]
    NotInitialised,
    /// The rotation rule cannot name a chair.
    #[error(transparent)]
    Rotation(#[from] RotationError),
    /// A parameter is out of range.
    #[error("{0}")]
    OutOfRange(String),
    /// No such member in the charter.
    #[error("unknown member code `{0}`: the charter has no such member")]
    UnknownMember(MemberCode),
}

/// The charter, or the error that says to initialise first.
pub async fn charter(store: &dyn Store) -> Result<Charter, QueryError> {
    store.charter().await?.ok_or(QueryError::NotInitialised)
}

/// The ledger's origin, as the log named it when the organisation was created.
pub async fn origin(store: &dyn Store) -> Result<String, QueryError> {
    Ok(ledger_name(store).await?.origin)
}

/// The ledger's name: its origin and, on a member state's node, whose node it is.
pub async fn ledger_name(store: &dyn Store) -> Result<concord_core::event::LedgerName, QueryError> {
    store
        .subject_events("ledger")
        .await?
        .into_iter()
        .find_map(|e| match e {
            concord_core::event::Event::LedgerNamed(n) => Some(n),
            _ => None,
        })
        .ok_or(QueryError::NotInitialised)
}

/// A member and its status on the day asked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    /// ISO 3166-1 alpha-3 code.
    pub code: MemberCode,
    /// Name.
    pub name: Text,
    /// Capital.
    pub capital: Text,
    /// Status on the day (`null` when nothing is known of it then).
    pub status: Option<MemberStatus>,
    /// The day the status began, if known.
    #[serde(with = "date::day::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub status_since: Option<Date>,
    /// When the start is unknown: the day a source attests the status.
    #[serde(with = "date::day::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub status_attested: Option<Date>,
    /// What established the status (empty for the charter's founding status).
    pub status_sources: Vec<String>,
    /// Budget share in percent.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub budget_share: concord_core::charter::Share,
}

/// Every state the charter names, with its status on `day`.
pub async fn members(
    store: &dyn Store,
    charter: &Charter,
    day: Date,
) -> Result<Vec<MemberView>, QueryError> {
    let timeline = charter.timeline(store.status_records().await?);
    Ok(charter
        .members
        .iter()
        .map(|m| {
            let on = timeline.status_on(m.code, day);
            let record = on.as_ref().and_then(|s| s.record.clone());
            MemberView {
                code: m.code,
                name: m.name.clone(),
                capital: m.capital.clone(),
                status: on.map(|s| s.status),
                status_since: record.as_ref().map_or(m.since, |r| r.since),
                status_attested: record.as_ref().and_then(|r| r.attested),
                status_sources: record.map(|r| r.sources).unwrap_or_default(),
                budget_share: m.budget_share,
            }
        })
        .collect())
}

/// One member on `day`, or an error naming the unknown code.
pub async fn member(
    store: &dyn Store,
    charter: &Charter,
    code: MemberCode,
    day: Date,
) -> Result<MemberView, QueryError> {
    members(store, charter, day)
        .await?
        .into_iter()
        .find(|m| m.code == code)
        .ok_or(QueryError::UnknownMember(code))
}

/// A year's chairmanship: who (by the rotation rule) and what it stated.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ChairmanshipView {
    /// The year.
    pub year: i32,
    /// The chairing member, computed by the charter's rotation rule.
    pub member: MemberCode,
    /// Its name.
    pub member_name: Text,
    /// How the term began.
    pub handover: HandoverRule,
    /// Motto, if the sources give one.
    pub motto: Option<Text>,
    /// Stated priorities, numbered in order.
    pub priorities: Vec<Text>,
    /// Session at which they were stated.
    pub stated_at: Option<Slug>,
    /// Source articles attesting the chairmanship.
    pub sources: Vec<String>,
}

/// The largest span of years one request may ask for.
pub const MAX_YEARS: i32 = 200;

/// Chairmanships of every year from `from` to `to`, computed by the rotation rule and
/// joined with what each chairmanship stated.
pub async fn chairmanships(
    store: &dyn Store,
    charter: &Charter,
    from: i32,
    to: i32,
) -> Result<Vec<ChairmanshipView>, QueryError> {
    if from > to {
        return Err(QueryError::OutOfRange(format!(
            "`from` ({from}) is after `to` ({to})"
        )));
    }
    for y in [from, to] {
        if !YEARS.contains(&y) {
            return Err(RotationError::OutOfRange(y).into());
        }
    }
    if to - from >= MAX_YEARS {
        return Err(QueryError::OutOfRange(format!(
            "at most {MAX_YEARS} years at a time"
        )));
    }
    let timeline = charter.timeline(store.status_records().await?);
    let statements: BTreeMap<i32, _> = store
        .chairmanship_statements()
        .await?
        .into_iter()
        .map(|s| (s.year, s))
        .collect();
    let mut out = Vec::new();
    for chair in charter.chairmanship.chairs(&timeline, from, to)? {
        let stated = statements.get(&chair.year);
        let member_name = charter
            .member(chair.member)
            .map(|m| m.name.clone())
            .expect("the rotation order holds only charter members");
        out.push(ChairmanshipView {
            year: chair.year,
            member: chair.member,
            member_name,
            handover: chair.handover,
            motto: stated.and_then(|s| s.motto.clone()),
            priorities: stated.map(|s| s.priorities.clone()).unwrap_or_default(),
            stated_at: stated.and_then(|s| s.stated_at.clone()),
            sources: stated.map(|s| s.sources.clone()).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// A document as listed under its session.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    /// Identifier.
    pub id: Slug,
    /// Document type.
    #[serde(rename = "type")]
    pub doc_type: Slug,
    /// Title.
    pub title: Text,
    /// Submitted or adopted.
    pub status: DocumentStatus,
}

/// A session with its documents.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// Identifier.
    pub id: Slug,
    /// Date, as precisely as known.
    pub date: PartialDate,
    /// Held or planned.
    pub status: SessionStatus,
    /// The body meeting (the first, for a joint meeting).
    pub body: Slug,
    /// Every body meeting.
    pub bodies: Vec<Slug>,
    /// City.
    pub city: Option<Text>,
    /// Host state.
    pub country: Option<MemberCode>,
    /// Venue.
    pub venue: Option<Text>,
    /// Chairing member, when a source says so.
    pub chair: Option<MemberCode>,
    /// Formats.
    pub formats: Vec<SessionFormat>,
    /// Attendance per member.
    pub attendance: BTreeMap<MemberCode, Attendance>,
    /// Named heads of delegation.
    pub heads: BTreeMap<MemberCode, Person>,
    /// Agenda items.
    pub agenda: Vec<Text>,
    /// Documents put before it.
    pub documents: Vec<DocumentSummary>,
    /// Anything else the sources say.
    pub note: Option<Text>,
    /// Source articles.
    pub sources: Vec<String>,
}

impl From<Document> for DocumentSummary {
    fn from(d: Document) -> Self {
        DocumentSummary {
            id: d.id,
            doc_type: d.doc_type,
            title: d.title,
            status: d.status,
        }
    }
}

fn session_view(s: Session, documents: Vec<DocumentSummary>) -> SessionView {
    SessionView {
        body: s.bodies[0].clone(),
        id: s.id,
        date: s.date,
        status: s.status,
        bodies: s.bodies,
        city: s.city,
        country: s.country,
        venue: s.venue,
        chair: s.chair,
        formats: s.formats,
        attendance: s.attendance,
        heads: s.heads,
        agenda: s.agenda,
        documents,
        note: s.note,
        sources: s.sources,
    }
}

/// Sessions matching the filter, each with its documents.
pub async fn sessions(
    store: &dyn Store,
    filter: &SessionFilter,
) -> Result<Vec<SessionView>, QueryError> {
    let sessions = store.sessions(filter).await?;
    let ids: Vec<String> = sessions.iter().map(|s| s.id.to_string()).collect();
    let mut by_session: BTreeMap<Slug, Vec<DocumentSummary>> = BTreeMap::new();
    for d in store.documents(Some(&ids)).await? {
        by_session
            .entry(d.session.clone())
            .or_default()
            .push(d.into());
    }
    Ok(sessions
        .into_iter()
        .map(|s| {
            let docs = by_session.remove(&s.id).unwrap_or_default();
            session_view(s, docs)
        })
        .collect())
}

/// One session with its documents.
pub async fn session(store: &dyn Store, id: &str) -> Result<Option<SessionView>, QueryError> {
    let Some(s) = store.session(id).await? else {
        return Ok(None);
    };
    let docs = store
        .documents(Some(&[id.to_owned()]))
        .await?
        .into_iter()
        .map(DocumentSummary::from)
        .collect();
    Ok(Some(session_view(s, docs)))
}
