//! The joint press centre: what is public, for anyone without an account. A page of the
//! documents the organisation adopted, the same as an Atom feed, and its sessions as an
//! iCalendar feed. Consultations (emergency sessions and their documents) never appear.

use askama::Template;
use atom_syndication::{Entry, Feed, Link, Person, Text as AtomText};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use concord_core::accounts::Language;
use concord_core::date::PartialDate;
use concord_core::history::{Document, DocumentStatus};
use concord_core::releasability::Reader;
use concord_store::access::{may_read_document, may_read_session};
use concord_store::queries::SessionView;
use icalendar::{Calendar, Component, EventLike};
use serde::Deserialize;

use crate::AppState;
use crate::console::{chrome, render, visitor};
use crate::i18n::messages;
use crate::problem::Problem;

/// The press centre's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/press", get(page))
        .route("/press/documents.atom", get(atom))
        .route("/press/sessions.ics", get(calendar))
}

/// Adopted public documents, with their sessions, newest first.
async fn adopted(state: &AppState) -> Result<Vec<(Document, Option<SessionView>)>, Problem> {
    let store = state.store.as_ref();
    let mut out = Vec::new();
    for d in store.documents(None).await? {
        // The press centre publishes what the public may read, and only that.
        if d.status != DocumentStatus::Adopted
            || !may_read_document(store, &Reader::Public, &[], d.id.as_str()).await?
        {
            continue;
        }
        let session = concord_store::queries::session(store, d.session.as_str()).await?;
        out.push((d, session));
    }
    out.sort_by(|a, b| {
        let day = |x: &Option<SessionView>| x.as_ref().map(|s| first_day(s.date));
        day(&b.1).cmp(&day(&a.1))
    });
    Ok(out)
}

/// The first day a partial date can mean.
pub(crate) fn first_day(date: PartialDate) -> time::Date {
    date.earliest()
}

#[derive(Template)]
#[template(path = "press.html")]
struct PressPage {
    chrome: crate::console::Chrome,
    intro: String,
    feed: String,
    calendar: String,
    documents_heading: String,
    documents: Vec<(String, String)>,
    no_documents: String,
    reports_heading: String,
    reports: Vec<(i32, String)>,
}

/// The chairs' submitted annual reports, newest first: the year and what the press centre
/// says of it (the public part is served at `/api/v1/annual-reports/{year}/pdf?part=public`).
async fn submitted_reports(state: &AppState, lang: &str) -> Result<Vec<(i32, String)>, Problem> {
    let store = state.store.as_ref();
    let mut out = Vec::new();
    for subject in store.subjects("chairmanship").await?.into_iter().rev() {
        let file = concord_core::year::ChairFile::fold(&store.subject_events(&subject).await?);
        if let Some(r) = file.report {
            let chair = state.charter.name_of(r.report.chair);
            let text = match lang {
                "ru" => format!(
                    "Годовой отчёт председательства {} за {} год, представлен {}",
                    chair.ru,
                    r.report.year,
                    PartialDate::Day(r.on).spoken("ru")
                ),
                _ => format!(
                    "Annual report of the chairmanship of {} for {}, submitted {}",
                    chair.en,
                    r.report.year,
                    PartialDate::Day(r.on).spoken("en")
                ),
            };
            out.push((r.report.year, text));
        }
    }
    Ok(out)
}

async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let v = visitor(&state, &headers).await?;
    let t = messages(v.language);
    let lang = t.language().tag();
    let documents = adopted(&state)
        .await?
        .into_iter()
        .map(|(d, s)| {
            let when = s
                .map(|s| {
                    let city = s.city.map(|c| c.get(lang).to_owned()).unwrap_or_default();
                    format!("{city}, {}", s.date.spoken(lang))
                })
                .unwrap_or_default();
            (d.title.get(lang).to_owned(), when)
        })
        .collect();
    let page = PressPage {
        chrome: chrome(t, t.get("press-title"), v.signed_in.as_ref()),
        intro: t.get("press-intro"),
        feed: t.get("press-feed"),
        calendar: t.get("press-calendar"),
        documents_heading: t.get("press-documents"),
        documents,
        no_documents: t.get("press-no-documents"),
        reports_heading: t.get("press-reports"),
        reports: submitted_reports(&state, lang).await?,
    };
    Ok(render(page).into_response())
}

/// `?lang=ru|en` for the feeds (English by default).
#[derive(Deserialize)]
struct FeedLanguage {
    lang: Option<String>,
}

impl FeedLanguage {
    fn language(&self) -> Result<Language, Problem> {
        self.lang
            .as_deref()
            .map_or(Ok(Language::En), str::parse)
            .map_err(Problem::bad_parameter)
    }
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
    {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The adopted documents as an Atom feed (RFC 4287).
async fn atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FeedLanguage>,
) -> Result<Response, Problem> {
    let lang = q.language()?.tag();
    let base = base_url(&headers);
    let organisation = state.charter.organisation.name.get(lang).to_owned();
    let at = |d: time::Date| {
        atom_syndication::FixedDateTime::parse_from_rfc3339(&format!("{d}T00:00:00Z"))
            .expect("a day at midnight UTC is an RFC 3339 time")
    };
    let mut entries = Vec::new();
    for (d, session) in adopted(&state).await? {
        let day = session
            .as_ref()
            .map(|s| first_day(s.date))
            .unwrap_or(time::Date::MIN);
        let mut summary = d.doc_type.to_string();
        if let Some(s) = &session
            && let Some(city) = &s.city
        {
            summary = format!("{summary}, {}, {}", city.get(lang), s.date);
        }
        entries.push(Entry {
            id: format!("urn:concord:document:{}", d.id),
            title: AtomText::plain(d.title.get(lang)),
            updated: at(day),
            links: vec![Link {
                href: format!("{base}/api/v1/documents/{}", d.id),
                rel: "alternate".into(),
                mime_type: Some("application/json".into()),
                ..Default::default()
            }],
            summary: Some(AtomText::plain(summary)),
            ..Default::default()
        });
    }
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(|| at(time::Date::MIN));
    let feed = Feed {
        id: format!(
            "urn:concord:{}:documents",
            state.charter.organisation.abbreviation.en
        ),
        title: AtomText::plain(organisation.clone()),
        updated,
        authors: vec![Person {
            name: organisation,
            ..Default::default()
        }],
        links: vec![Link {
            href: format!("{base}/press/documents.atom"),
            rel: "self".into(),
            ..Default::default()
        }],
        lang: Some(lang.to_owned()),
        entries,
        ..Default::default()
    };
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed.to_string(),
    )
        .into_response())
}

/// The sessions whose day is known, as an iCalendar feed (RFC 5545).
async fn calendar(
    State(state): State<AppState>,
    Query(q): Query<FeedLanguage>,
) -> Result<Response, Problem> {
    let lang = q.language()?.tag();
    let sessions =
        concord_store::queries::sessions(state.store.as_ref(), &Default::default()).await?;
    let mut calendar = Calendar::new();
    calendar.name(state.charter.organisation.name.get(lang));
    for s in sessions {
        let PartialDate::Day(day) = s.date else {
            continue;
        };
        if !may_read_session(state.store.as_ref(), &Reader::Public, &[], s.id.as_str()).await? {
            continue;
        }
        let names: Vec<String> = s
            .bodies
            .iter()
            .map(|code| {
                state
                    .charter
                    .body(code)
                    .map_or_else(|| code.to_string(), |b| b.name.get(lang).to_owned())
            })
            .collect();
        // A joint meeting of several councils is named as one.
        let body = match (names.len(), lang) {
            (1, _) => names.join(""),
            (_, "ru") => format!("Совместное заседание: {}", names.join(", ")),
            _ => format!("Joint meeting: {}", names.join(", ")),
        };
        let city = s
            .city
            .as_ref()
            .map(|c| c.get(lang).to_owned())
            .unwrap_or_default();
        let date = chrono::NaiveDate::from_ymd_opt(
            day.year(),
            u8::from(day.month()).into(),
            day.day().into(),
        )
        .expect("a calendar day");
        calendar.push(
            icalendar::Event::new()
                .uid(&format!("session-{}@concord", s.id))
                .summary(&format!("{body} — {city}"))
                .location(&city)
                // An all-day event ends, exclusively, the next day (RFC 5545, 3.6.1).
                .starts(date)
                .ends(date.succ_opt().expect("a next day"))
                .done(),
        );
    }
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        calendar.done().to_string(),
    )
        .into_response())
}
