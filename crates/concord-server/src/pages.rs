//! The console's pages beyond the dashboard: the situation map, the live feed of alerts
//! and reports, the registry, sessions and documents with each member's position and
//! signature, and the ledger explorer. Every page reads as the signed-in account: what it
//! may not read is not on the page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use concord_core::accounts::Account;
use concord_core::consensus::{SignedPosition, Stance};
use concord_core::history::DocumentStatus;
use concord_core::releasability::Reader;
use concord_store::ConsoleSession;
use serde_json::json;

use crate::AppState;
use crate::console::{Chrome, chrome, render, visitor};
use crate::i18n::{Messages, messages};
use crate::problem::Problem;

/// The pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/map", get(map))
        .route("/alerts", get(alerts))
        .route("/registry", get(registry))
        .route("/sessions", get(sessions))
        .route("/documents/{id}", get(document))
        .route("/ledger", get(ledger))
}

/// A signed-in page's context: messages, the account's session, who it reads as.
pub(crate) struct Context {
    pub(crate) t: &'static Messages,
    pub(crate) signed_in: (ConsoleSession, Account),
    pub(crate) reader: Reader,
}

impl Context {
    fn chrome(&self, title_id: &str) -> Chrome {
        chrome(self.t, self.t.get(title_id), Some(&self.signed_in))
    }

    fn lang(&self) -> &'static str {
        self.t.language().tag()
    }
}

/// The page's context, or the way to the sign-in page.
pub(crate) async fn context(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Result<Context, Response>, Problem> {
    let v = visitor(state, headers).await?;
    let Some(signed_in) = v.signed_in.clone() else {
        return Ok(Err(crate::console::to_sign_in(&v)));
    };
    let today = time::OffsetDateTime::now_utc().date();
    let timeline = state.charter.timeline(state.store.status_records().await?);
    let reader = signed_in.1.reader(&timeline, today);
    Ok(Ok(Context {
        t: messages(v.language),
        signed_in,
        reader,
    }))
}

macro_rules! signed_in {
    ($state:expr, $headers:expr) => {
        match context(&$state, &$headers).await? {
            Ok(c) => c,
            Err(redirect) => return Ok(redirect),
        }
    };
}

/// ISO 3166-1 numeric codes (the Natural Earth borders' ids) of the states a charter may
/// name: the region's states and their neighbours.
const NUMERIC: &[(&str, &str)] = &[
    ("AFG", "004"),
    ("ARM", "051"),
    ("AZE", "031"),
    ("BLR", "112"),
    ("CHN", "156"),
    ("GEO", "268"),
    ("IRN", "364"),
    ("KAZ", "398"),
    ("KGZ", "417"),
    ("MDA", "498"),
    ("MNG", "496"),
    ("RUS", "643"),
    ("SRB", "688"),
    ("TJK", "762"),
    ("TKM", "795"),
    ("UKR", "804"),
    ("UZB", "860"),
    ("IND", "356"),
    ("PAK", "586"),
    ("TUR", "792"),
];

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    chrome: Chrome,
    legend: String,
    data: String,
}

async fn map(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let c = signed_in!(state, headers);
    let store = state.store.as_ref();
    let today = time::OffsetDateTime::now_utc().date();
    let mut states = serde_json::Map::new();
    for m in concord_store::queries::members(store, &state.charter, today).await? {
        let (Some(status), Some((_, numeric))) = (
            m.status,
            NUMERIC.iter().find(|(a, _)| *a == m.code.as_str()),
        ) else {
            continue;
        };
        states.insert(
            (*numeric).to_owned(),
            json!({
                "code": m.code,
                "name": m.name.get(c.lang()),
                "status": status.as_str(),
                "label": c.t.status(status),
            }),
        );
    }
    let filter = concord_store::IncidentFilter {
        limit: 500,
        ..Default::default()
    };
    let incidents: Vec<serde_json::Value> = concord_store::incidents::incidents(
        store,
        &c.reader,
        &state.charter.sharing_groups,
        &filter,
    )
    .await?
    .into_iter()
    .map(|i| {
        json!({
            "id": i.report.id,
            "title": i.report.title,
            "severity": i.report.severity.as_str(),
            "place": i.report.place,
        })
    })
    .collect();
    let data = script_json(&json!({ "states": states, "incidents": incidents }));
    let page = MapPage {
        chrome: c.chrome("map-title"),
        legend: c.t.get("map-legend"),
        data,
    };
    Ok(render(page).into_response())
}

/// JSON to embed in a `<script type="application/json">` element: every `<`, `>` and `&`
/// written as a JSON escape, so that no text a reporter chose (`</script>`, `<!--`) can
/// end the element or change how the page is read; the browser's JSON parser reads the
/// escapes back.
pub(crate) fn script_json(value: &serde_json::Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// An alert as pages list it: severity, title, when sent.
pub(crate) fn alert_line(a: &concord_store::alerts::AlertSummary) -> (String, String, String) {
    (
        a.severity.clone().unwrap_or_else(|| "Unknown".to_owned()),
        a.title.clone().unwrap_or_default(),
        a.sent.clone().unwrap_or_default(),
    )
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    live_intro: String,
    waiting: String,
    recorded_heading: String,
    alerts: Vec<(String, String, String)>,
}

async fn alerts(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let c = signed_in!(state, headers);
    let alerts = concord_store::alerts::summaries(
        state.store.as_ref(),
        &c.reader,
        &state.charter.sharing_groups,
        &concord_store::alerts::AlertPage {
            limit: crate::paging::DEFAULT_LIMIT,
            ..Default::default()
        },
    )
    .await?
    .iter()
    .map(alert_line)
    .collect();
    let page = AlertsPage {
        chrome: c.chrome("alerts-title"),
        live_intro: c.t.get("alerts-live"),
        waiting: c.t.get("alerts-waiting"),
        recorded_heading: c.t.get("alerts-recorded"),
        alerts,
    };
    Ok(render(page).into_response())
}

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    chrome: Chrome,
    members_heading: String,
    members: Vec<(String, String, String, String)>,
    chairs_heading: String,
    chairs: Vec<(i32, String)>,
}

async fn registry(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let c = signed_in!(state, headers);
    let store = state.store.as_ref();
    let today = time::OffsetDateTime::now_utc().date();
    let members = concord_store::queries::members(store, &state.charter, today)
        .await?
        .into_iter()
        .map(|m| {
            let status = m.status.map(|s| c.t.status(s)).unwrap_or_default();
            let since = m
                .status_since
                .or(m.status_attested)
                .map(|d| c.t.with("registry-since", &[("date", &d.to_string())]))
                .unwrap_or_default();
            (
                m.code.to_string(),
                m.name.get(c.lang()).to_owned(),
                status,
                since,
            )
        })
        .collect();
    let year = today.year();
    let chairs = concord_store::queries::chairmanships(store, &state.charter, year - 3, year + 3)
        .await?
        .into_iter()
        .map(|ch| (ch.year, ch.member_name.get(c.lang()).to_owned()))
        .collect();
    let page = RegistryPage {
        chrome: c.chrome("registry-title"),
        members_heading: c.t.get("registry-members"),
        members,
        chairs_heading: c.t.get("registry-chairs"),
        chairs,
    };
    Ok(render(page).into_response())
}

pub(crate) fn status_word(t: &Messages, status: DocumentStatus) -> String {
    let id = match status {
        DocumentStatus::Adopted => "document-status-adopted",
        DocumentStatus::Submitted => "document-status-submitted",
        DocumentStatus::Blocked => "document-status-blocked",
    };
    t.get(id)
}

/// A document's link, title and status, as listed under its session.
type DocumentLine = (String, String, String);

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<(String, Vec<DocumentLine>)>,
}

async fn sessions(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let c = signed_in!(state, headers);
    let store = state.store.as_ref();
    let documents = store.documents(None).await?;
    let mut out = Vec::new();
    for s in concord_store::queries::sessions(store, &Default::default())
        .await?
        .into_iter()
        .rev()
    {
        if !concord_store::access::may_read_session(
            store,
            &c.reader,
            &state.charter.sharing_groups,
            s.id.as_str(),
        )
        .await?
        {
            continue;
        }
        let city = s
            .city
            .as_ref()
            .map(|x| x.get(c.lang()).to_owned())
            .unwrap_or_default();
        let body = state
            .charter
            .body(&s.body)
            .map(|b| b.name.get(c.lang()).to_owned())
            .unwrap_or_else(|| s.body.to_string());
        let docs = documents
            .iter()
            .filter(|d| d.session == s.id)
            .map(|d| {
                (
                    d.id.to_string(),
                    d.title.get(c.lang()).to_owned(),
                    status_word(c.t, d.status),
                )
            })
            .collect();
        out.push((format!("{} — {body}, {city}", s.date), docs));
    }
    let page = SessionsPage {
        chrome: c.chrome("sessions-title"),
        sessions: out,
    };
    Ok(render(page).into_response())
}

/// The form a head of delegation signs a position with, in the browser.
struct SigningForm {
    heading: String,
    document: String,
    version: u32,
    hash: String,
    member: String,
    origin: String,
    key_label: String,
    signatory_label: String,
    signatory: String,
    stance_label: String,
    stances: Vec<(&'static str, String)>,
    reason_label: String,
    button: String,
    note: String,
    done: String,
    failed: String,
}

impl SigningForm {
    fn new(
        t: &Messages,
        account: &Account,
        member: concord_core::MemberCode,
        circ: &concord_core::council::Circulation,
        origin: &str,
    ) -> SigningForm {
        SigningForm {
            heading: t.get("sign-heading"),
            document: circ.document.to_string(),
            version: circ.version,
            hash: circ.hash.clone(),
            member: member.to_string(),
            origin: origin.to_owned(),
            key_label: t.get("sign-key"),
            signatory_label: t.get("sign-signatory"),
            signatory: account.name.clone(),
            stance_label: t.get("sign-stance"),
            stances: vec![
                ("agree", t.get("stance-agree")),
                ("object", t.get("stance-object")),
                ("no-interest", t.get("stance-no-interest")),
            ],
            reason_label: t.get("sign-reason"),
            button: t.get("sign-button"),
            note: t.get("sign-note"),
            done: t.get("sign-done"),
            failed: t.get("sign-failed"),
        }
    }
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    chrome: Chrome,
    status: String,
    versions_heading: String,
    versions: Vec<String>,
    agreement: String,
    positions_heading: String,
    positions: Vec<(String, String, String)>,
    awaiting: String,
    signing: Option<SigningForm>,
}

fn position_row(t: &Messages, p: &SignedPosition) -> (String, String, String) {
    let stance = match p.position.stance {
        Stance::Agree => t.get("stance-agree"),
        Stance::Object => t.get("stance-object"),
        Stance::NoInterest => t.get("stance-no-interest"),
    };
    let stance = match &p.position.reason {
        Some(reason) => format!("{stance}: {reason}"),
        None => stance,
    };
    let signed = t.with(
        "signed-with",
        &[
            ("signatory", p.position.signatory.as_deref().unwrap_or("—")),
            ("date", &p.position.signed_on.to_string()),
            ("key", &p.seal.key),
        ],
    );
    (p.position.member.to_string(), stance, signed)
}

async fn document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let c = signed_in!(state, headers);
    let store = state.store.as_ref();
    if !concord_store::access::may_read_document(
        store,
        &c.reader,
        &state.charter.sharing_groups,
        &id,
    )
    .await?
    {
        return Err(Problem::unknown(format!("no document `{id}`")));
    }
    let file = concord_store::council::document_file(store, &id)
        .await?
        .ok_or_else(|| Problem::unknown(format!("no document `{id}`")))?;
    let versions = file
        .versions
        .iter()
        .map(|v| {
            format!(
                "{} — {} ({})",
                v.version.number,
                v.version.title.get(c.lang()),
                &v.hash[..12.min(v.hash.len())]
            )
        })
        .collect();
    let agreement = match &file.circulated {
        Some(circ) => c.t.with(
            "document-under-agreement",
            &[("version", &circ.version.to_string())],
        ),
        None => c.t.get("document-not-circulated"),
    };
    let (positions, awaiting): (Vec<_>, String) = match &file.decision {
        Some(decision) => (
            decision
                .ballots
                .iter()
                .filter_map(|b| b.position.as_ref())
                .map(|p| position_row(c.t, p))
                .collect(),
            String::new(),
        ),
        None => {
            let stated: Vec<_> = file.positions.iter().map(|p| p.position.member).collect();
            let today = time::OffsetDateTime::now_utc().date();
            let waiting: Vec<String> =
                concord_store::queries::members(store, &state.charter, today)
                    .await?
                    .into_iter()
                    .filter(|m| {
                        m.status == Some(concord_core::MemberStatus::Member)
                            && !stated.contains(&m.code)
                    })
                    .map(|m| m.code.to_string())
                    .collect();
            let awaiting = if file.circulated.is_some() && !waiting.is_empty() {
                format!("{}: {}", c.t.get("document-awaiting"), waiting.join(", "))
            } else {
                String::new()
            };
            (
                file.positions
                    .iter()
                    .map(|p| position_row(c.t, p))
                    .collect(),
                awaiting,
            )
        }
    };
    // A head of delegation of a member state that has not yet stated its position on the
    // version under agreement may sign one here.
    let account = &c.signed_in.1;
    let signing = match (
        &file.circulated,
        &file.decision,
        account.affiliation,
        c.reader,
    ) {
        (
            Some(circ),
            None,
            concord_core::accounts::Affiliation::State(member),
            Reader::State {
                status: concord_core::MemberStatus::Member,
                ..
            },
        ) if account.has(concord_core::accounts::Role::HeadOfDelegation)
            && !file.positions.iter().any(|p| p.position.member == member) =>
        {
            Some(SigningForm::new(
                c.t,
                account,
                member,
                circ,
                &state.deployment.origin,
            ))
        }
        _ => None,
    };
    let mut chrome = c.chrome("document-title");
    chrome.title = file.document.title.get(c.lang()).to_owned();
    let page = DocumentPage {
        chrome,
        status: status_word(
            c.t,
            file.decision
                .as_ref()
                .map_or(file.document.status, |d| match d.outcome {
                    concord_core::consensus::Outcome::Adopted => DocumentStatus::Adopted,
                    concord_core::consensus::Outcome::Blocked => DocumentStatus::Blocked,
                }),
        ),
        versions_heading: c.t.get("document-versions"),
        versions,
        agreement,
        positions_heading: c.t.get("document-positions"),
        positions,
        awaiting,
        signing,
    };
    Ok(render(page).into_response())
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    size_line: String,
    checkpoint: String,
    latest_heading: String,
    entries: Vec<(u64, String, String)>,
    proof_label: String,
    included: String,
    not_included: String,
    signature_ok: String,
    signature_bad: String,
}

async fn ledger(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let c = signed_in!(state, headers);
    let store = state.store.as_ref();
    let checkpoint = concord_store::ledger::checkpoint(store, &state.log_key).await?;
    let size = store.ledger_size().await?;
    let start = size.saturating_sub(25);
    let entries = concord_store::ledger::entries_for(
        store,
        &c.reader,
        &state.charter.sharing_groups,
        start,
        size,
    )
    .await?
    .into_iter()
    .rev()
    .map(|e| {
        let index = e["index"].as_u64().unwrap_or_default();
        let kind = if e["withheld"] == true {
            c.t.get("ledger-withheld")
        } else {
            e["event"]["type"].as_str().unwrap_or_default().to_owned()
        };
        (
            index,
            kind,
            format!("/api/v1/ledger/proof/inclusion?index={index}"),
        )
    })
    .collect();
    let page = LedgerPage {
        chrome: c.chrome("ledger-title"),
        size_line: c.t.with("ledger-size", &[("size", &size.to_string())]),
        checkpoint,
        latest_heading: c.t.get("ledger-latest"),
        entries,
        proof_label: c.t.get("ledger-proof"),
        included: c.t.get("ledger-included"),
        not_included: c.t.get("ledger-not-included"),
        signature_ok: c.t.get("ledger-signature-ok"),
        signature_bad: c.t.get("ledger-signature-bad"),
    };
    Ok(render(page).into_response())
}
