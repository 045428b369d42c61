//! The console's pages of the organisation's year: programmes with their items and the
//! forms to report on them, the budget with arrears, quota posts, posts by the charter's
//! rule, and the chair's annual report with its charts. Forms sign in the browser, with the
//! delegation's or the secretariat's key file, like a position on a document.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use concord_core::accounts::Affiliation;
use concord_core::year::{ItemStatus, Party};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::console::{Chrome, chrome, render};
use crate::i18n::Messages;
use crate::problem::Problem;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/year", get(year_page))
        .route("/year/report", get(crate::annual_page::report_page))
}

/// A field of a signed form.
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) label: String,
    pub(crate) kind: &'static str,
    /// How the script turns the text into the command's value: `number`, `party` (`KAZ` or
    /// `body:CODE`), `record` (`programme:ID`…), or as typed if empty.
    pub(crate) convert: &'static str,
    pub(crate) value: String,
}

/// A form whose command is signed in the browser: the action, the fields fixed by the
/// page (JSON), the inputs, and whose key must sign.
pub(crate) struct SignedForm {
    pub(crate) action: &'static str,
    pub(crate) fixed: String,
    pub(crate) signer: String,
    pub(crate) origin: String,
    pub(crate) heading: String,
    pub(crate) fields: Vec<Field>,
    pub(crate) key_label: String,
    pub(crate) button: String,
    pub(crate) done: String,
    pub(crate) failed: String,
}

impl SignedForm {
    pub(crate) fn new(
        t: &Messages,
        origin: &str,
        action: &'static str,
        heading: String,
        signer: String,
        fixed: serde_json::Value,
        fields: Vec<Field>,
    ) -> SignedForm {
        SignedForm {
            action,
            fixed: fixed.to_string(),
            signer,
            origin: origin.to_owned(),
            heading,
            fields,
            key_label: t.get("year-sign-key"),
            button: t.get("year-sign"),
            done: t.get("year-sign-done"),
            failed: t.get("year-sign-failed"),
        }
    }
}

fn field(name: &'static str, label: String, kind: &'static str, value: impl Into<String>) -> Field {
    Field {
        name,
        label,
        kind,
        convert: if kind == "number" { "number" } else { "" },
        value: value.into(),
    }
}

/// A text field the script turns into a structured value (`party`, `record`).
fn typed(name: &'static str, label: String, convert: &'static str) -> Field {
    Field {
        name,
        label,
        kind: "text",
        convert,
        value: String::new(),
    }
}

struct ItemLine {
    number: u32,
    title: String,
    responsible: String,
    deadline: String,
    status: String,
    percent: u8,
    overdue: bool,
    form: Option<SignedForm>,
}

struct ProgrammeLine {
    id: String,
    title: String,
    status: String,
    percent: u32,
    summary: String,
    items: Vec<ItemLine>,
}

struct Table {
    summary: String,
    headers: Vec<String>,
    rows: Vec<(Vec<String>, bool)>,
    form: Option<SignedForm>,
}

struct QuotaTable {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    form: Option<SignedForm>,
}

#[derive(Template)]
#[template(path = "year.html")]
struct YearPage {
    chrome: Chrome,
    year: i32,
    report_link: String,
    programmes_heading: String,
    programmes: Vec<ProgrammeLine>,
    by_party_headers: Vec<String>,
    by_party: Vec<Vec<String>>,
    labels: [String; 4],
    no_items: String,
    overdue_word: String,
    budget_heading: String,
    budget: Option<Table>,
    budget_none: String,
    quota_heading: String,
    quota: Option<QuotaTable>,
    quota_none: String,
    posts_heading: String,
    posts_headers: Vec<String>,
    posts: Vec<Vec<String>>,
    steps_heading: String,
    steps: Vec<SignedForm>,
}

/// The year asked for.
#[derive(Deserialize)]
pub(crate) struct YearQuery {
    pub(crate) year: Option<i32>,
}

pub(crate) fn party_name(state: &AppState, lang: &str, party: &Party) -> String {
    match party {
        Party::Member(m) => state
            .charter
            .member(*m)
            .map_or_else(|| m.to_string(), |c| c.name.get(lang).to_owned()),
        Party::Body(b) => state
            .charter
            .body(b)
            .map_or_else(|| b.to_string(), |c| c.name.get(lang).to_owned()),
    }
}

fn item_word(t: &Messages, s: ItemStatus) -> String {
    t.get(match s {
        ItemStatus::NotStarted => "year-item-not-started",
        ItemStatus::InProgress => "year-item-in-progress",
        ItemStatus::Done => "year-item-done",
    })
}

/// Whether the account's officials sign for `party`: a state's for its own items, the
/// secretariat's for a body's.
fn signs_for(affiliation: &Affiliation, party: &Party) -> bool {
    matches!(
        (affiliation, party),
        (Affiliation::State(a), Party::Member(m)) if a == m
    ) || matches!(
        (affiliation, party),
        (Affiliation::Secretariat, Party::Body(_))
    )
}

/// Who is looking, in which language, at which year, reading as whom.
pub(crate) struct Viewer {
    pub(crate) t: &'static Messages,
    pub(crate) signed_in: (
        concord_store::ConsoleSession,
        concord_core::accounts::Account,
    ),
    pub(crate) today: time::Date,
    pub(crate) year: i32,
    pub(crate) reader: concord_core::releasability::Reader,
}

impl Viewer {
    /// The signed-in viewer, or the way to the sign-in page.
    pub(crate) async fn of(
        state: &AppState,
        headers: &HeaderMap,
        q: &YearQuery,
    ) -> Result<Result<Viewer, Response>, Problem> {
        let c = match crate::pages::context(state, headers).await? {
            Ok(c) => c,
            Err(to_sign_in) => return Ok(Err(to_sign_in)),
        };
        let today = time::OffsetDateTime::now_utc().date();
        Ok(Ok(Viewer {
            t: c.t,
            signed_in: c.signed_in,
            today,
            reader: c.reader,
            year: q
                .year
                .filter(|y| (1900..=2200).contains(y))
                .unwrap_or(today.year()),
        }))
    }
}

fn signer_of(affiliation: &Affiliation) -> String {
    match affiliation {
        Affiliation::State(m) => m.to_string(),
        _ => "secretariat".to_owned(),
    }
}

async fn year_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<YearQuery>,
) -> Result<Response, Problem> {
    let c = match Viewer::of(&state, &headers, &q).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let (t, year) = (c.t, c.year);
    let (from, until) = state
        .charter
        .quota_posts
        .as_ref()
        .map_or((year, year), |r| r.period_of(year));
    let views =
        concord_store::year::programmes(state.store.as_ref(), &state.charter, &c.reader, c.today)
            .await?;
    let (programmes, by_party) = programme_lines(&state, &c, &views);
    let budget = budget_table(&state, &c).await?;
    let quota = quota_table(&state, &c).await?;
    let posts = post_rows(&state, &c).await?;
    let steps = secretariat_steps(&state, &c, &views, budget.is_none(), quota.is_none());
    let page = YearPage {
        chrome: chrome(t, t.get("year-title"), Some(&c.signed_in)),
        year,
        report_link: t.with("year-report-link", &[("year", &year.to_string())]),
        programmes_heading: t.get("year-programmes"),
        programmes,
        by_party_headers: [
            "year-responsible",
            "year-items",
            "year-item-done",
            "year-overdue",
        ]
        .map(|id| t.get(id))
        .to_vec(),
        by_party,
        labels: [
            "year-items",
            "year-responsible",
            "year-deadline",
            "year-status",
        ]
        .map(|id| t.get(id)),
        no_items: t.get("year-no-items"),
        overdue_word: t.get("year-overdue"),
        budget_heading: t.with("year-budget", &[("year", &year.to_string())]),
        budget,
        budget_none: t.with("year-budget-none", &[("year", &year.to_string())]),
        quota_heading: t.with(
            "year-quota",
            &[("from", &from.to_string()), ("until", &until.to_string())],
        ),
        quota,
        quota_none: t.get("year-quota-none"),
        posts_heading: t.get("year-posts"),
        posts_headers: [
            "year-post",
            "year-rule-gives",
            "year-recorded-holder",
            "year-check",
        ]
        .map(|id| t.get(id))
        .to_vec(),
        posts,
        steps_heading: t.get("year-steps"),
        steps,
    };
    Ok(render(page).into_response())
}

fn programme_lines(
    state: &AppState,
    c: &Viewer,
    views: &[concord_store::year::ProgrammeView],
) -> (Vec<ProgrammeLine>, Vec<Vec<String>>) {
    let (t, lang) = (c.t, c.t.language().tag());
    let account = &c.signed_in.1;
    let origin = &state.deployment.origin;
    let mut programmes = Vec::new();
    let by_party = concord_store::year::progress_by_party(views)
        .iter()
        .map(|p| {
            vec![
                party_name(state, lang, &p.party),
                p.items.to_string(),
                p.done.to_string(),
                p.overdue.to_string(),
            ]
        })
        .collect();
    for p in views {
        let items = p
            .items
            .iter()
            .map(|i| ItemLine {
                number: i.item.number,
                title: i.item.title.get(lang).to_owned(),
                responsible: party_name(state, lang, &i.item.responsible),
                deadline: concord_core::PartialDate::Day(i.item.deadline).spoken(lang),
                status: item_word(t, i.status),
                percent: i.percent,
                overdue: i.overdue,
                form: (i.status != ItemStatus::Done
                    && signs_for(&account.affiliation, &i.item.responsible))
                .then(|| {
                    SignedForm::new(
                        t,
                        origin,
                        "report-progress",
                        t.get("year-report-progress"),
                        signer_of(&account.affiliation),
                        json!({ "programme": p.id, "item": i.item.number, "reporter": i.item.responsible }),
                        vec![
                            field("percent", t.get("year-percent"), "number", i.percent.to_string()),
                            field("note.en", t.get("year-note-en"), "text", ""),
                            field("note.ru", t.get("year-note-ru"), "text", ""),
                        ],
                    )
                }),
            })
            .collect();
        programmes.push(ProgrammeLine {
            id: p.id.to_string(),
            title: p.title.get(lang).to_owned(),
            status: crate::pages::status_word(t, p.status),
            percent: p.percent,
            summary: format!(
                "{}: {} · {}: {} · {}: {}",
                t.get("year-items"),
                p.items.len(),
                t.get("year-item-done"),
                p.done,
                t.get("year-overdue"),
                p.overdue
            ),
            items,
        });
    }
    (programmes, by_party)
}

async fn budget_table(state: &AppState, c: &Viewer) -> Result<Option<Table>, Problem> {
    let (t, lang, today, year, reader) = (c.t, c.t.language().tag(), c.today, c.year, c.reader);
    let account = &c.signed_in.1;
    let store = state.store.as_ref();
    let origin = &state.deployment.origin;
    let secretariat = matches!(account.affiliation, Affiliation::Secretariat);
    let budget = concord_store::year::budget(store, &state.charter, &reader, year, today)
        .await?
        .map(|b| Table {
            summary: format!(
                "{} {} · {} {} · {} {}",
                b.total.grouped(),
                b.currency,
                t.get("year-paid"),
                b.paid.grouped(),
                t.get("year-outstanding"),
                b.outstanding.grouped()
            ),
            headers: [
                "year-member",
                "year-assessed",
                "year-paid",
                "year-outstanding",
            ]
            .map(|id| t.get(id))
            .to_vec(),
            rows: b
                .accounts
                .iter()
                .map(|a| {
                    let mut name = party_name(state, lang, &Party::Member(a.contribution.member));
                    if a.contribution.stayed_out {
                        name = format!("{name} ({})", t.get("year-stayed-out"));
                    }
                    let mut outstanding = a.outstanding.grouped();
                    if a.in_arrears {
                        outstanding = format!("{outstanding} — {}", t.get("year-in-arrears"));
                    }
                    (
                        vec![
                            name,
                            a.contribution.assessed.grouped(),
                            a.paid.grouped(),
                            outstanding,
                        ],
                        a.in_arrears,
                    )
                })
                .collect(),
            form: secretariat.then(|| {
                SignedForm::new(
                    t,
                    origin,
                    "record-payment",
                    t.get("year-record-payment"),
                    "secretariat".into(),
                    json!({ "year": year }),
                    vec![
                        field("member", t.get("year-member"), "text", ""),
                        field("amount", t.get("year-amount"), "text", ""),
                        field(
                            "received_on",
                            t.get("year-received-on"),
                            "date",
                            today.to_string(),
                        ),
                        field("reference", t.get("year-reference"), "text", ""),
                    ],
                )
            }),
        });
    Ok(budget)
}

async fn quota_table(state: &AppState, c: &Viewer) -> Result<Option<QuotaTable>, Problem> {
    let (t, lang, year, reader) = (c.t, c.t.language().tag(), c.year, c.reader);
    let account = &c.signed_in.1;
    let store = state.store.as_ref();
    let origin = &state.deployment.origin;
    let quota = concord_store::year::quota(store, &state.charter, &reader, year)
        .await?
        .map(|q| QuotaTable {
            headers: [
                "year-member",
                "year-allotted",
                "year-renounced",
                "year-vacant",
                "year-holders",
            ]
            .map(|id| t.get(id))
            .to_vec(),
            rows: q
                .members
                .iter()
                .map(|m| {
                    let holders: Vec<String> = m
                        .holders
                        .iter()
                        .map(|h| {
                            format!(
                                "{} — {} ({})",
                                h.post.get(lang),
                                h.holder.get(lang),
                                concord_core::PartialDate::Day(h.until).spoken(lang)
                            )
                        })
                        .collect();
                    vec![
                        party_name(state, lang, &Party::Member(m.member)),
                        m.allotted.to_string(),
                        m.renounced.to_string(),
                        m.vacant.to_string(),
                        holders.join("; "),
                    ]
                })
                .collect(),
            form: match account.affiliation {
                Affiliation::State(m)
                    if q.members.iter().any(|x| x.member == m && x.vacant > 0) =>
                {
                    Some(SignedForm::new(
                        t,
                        origin,
                        "renounce-quota-post",
                        t.get("year-renounce"),
                        m.to_string(),
                        json!({ "period": q.from, "member": m }),
                        vec![field("posts", t.get("year-vacant"), "number", "1")],
                    ))
                }
                _ => None,
            },
        });
    Ok(quota)
}

async fn post_rows(state: &AppState, c: &Viewer) -> Result<Vec<Vec<String>>, Problem> {
    let (lang, today) = (c.t.language().tag(), c.today);
    let store = state.store.as_ref();
    let posts = concord_store::year::posts(store, &state.charter, today, None)
        .await?
        .into_iter()
        .map(|p| {
            let rule = match (&p.term, p.held_by_nationals_of) {
                (Some(term), _) => format!(
                    "{} ({} – {})",
                    party_name(state, lang, &Party::Member(term.member)),
                    concord_core::PartialDate::Day(term.from).spoken(lang),
                    concord_core::PartialDate::Day(term.until).spoken(lang)
                ),
                (None, Some(m)) => party_name(state, lang, &Party::Member(m)),
                (None, None) => "—".to_owned(),
            };
            let (holder, check) =
                p.holder
                    .as_ref()
                    .map_or(("—".to_owned(), String::new()), |h| {
                        (
                            h.appointment.person.name.get(lang).to_owned(),
                            serde_json::to_value(h.check)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default(),
                        )
                    });
            vec![p.name.get(lang).to_owned(), rule, holder, check]
        })
        .collect();
    Ok(posts)
}

/// The secretariat's own steps, each a form signed with the secretariat's key: set out the
/// next item of each adopted programme, set the year's budget, apportion the period's quota
/// posts, fill a quota post, link a record to a priority of the year.
fn secretariat_steps(
    state: &AppState,
    c: &Viewer,
    programmes: &[concord_store::year::ProgrammeView],
    no_budget: bool,
    no_quota: bool,
) -> Vec<SignedForm> {
    if !matches!(c.signed_in.1.affiliation, Affiliation::Secretariat) {
        return vec![];
    }
    let (t, lang, year) = (c.t, c.t.language().tag(), c.year);
    let origin = &state.deployment.origin;
    let form = |action, heading: String, fixed, fields| {
        SignedForm::new(
            t,
            origin,
            action,
            heading,
            "secretariat".into(),
            fixed,
            fields,
        )
    };
    let mut steps = Vec::new();
    for p in programmes
        .iter()
        .filter(|p| p.status == concord_core::history::DocumentStatus::Adopted)
    {
        steps.push(form(
            "add-programme-item",
            format!("{}: {}", t.get("year-add-item"), p.title.get(lang)),
            json!({ "programme": p.id, "number": p.items.len() + 1 }),
            vec![
                field("title.en", t.get("year-item-title-en"), "text", ""),
                field("title.ru", t.get("year-item-title-ru"), "text", ""),
                typed("responsible", t.get("year-responsible-code"), "party"),
                field("deadline", t.get("year-deadline"), "date", ""),
            ],
        ));
    }
    if no_budget {
        steps.push(form(
            "set-budget",
            t.with("year-set-budget", &[("year", &year.to_string())]),
            json!({ "year": year }),
            vec![
                field("document", t.get("year-document"), "text", ""),
                field("currency", t.get("year-currency"), "text", "RUB"),
                field("total", t.get("year-amount"), "text", ""),
            ],
        ));
    }
    if let Some(rule) = &state.charter.quota_posts {
        let (from, _) = rule.period_of(year);
        if no_quota {
            steps.push(form(
                "apportion-quota-posts",
                t.get("year-apportion"),
                json!({ "period": from }),
                vec![field("document", t.get("year-document"), "text", "")],
            ));
        } else {
            steps.push(form(
                "fill-quota-post",
                t.get("year-fill"),
                json!({ "period": from }),
                vec![
                    field("member", t.get("year-member"), "text", ""),
                    field("post.en", t.get("year-post-en"), "text", ""),
                    field("post.ru", t.get("year-post-ru"), "text", ""),
                    field("holder.en", t.get("year-holder-en"), "text", ""),
                    field("holder.ru", t.get("year-holder-ru"), "text", ""),
                    field("from", t.get("year-from"), "date", ""),
                    field("until", t.get("year-until"), "date", ""),
                ],
            ));
        }
    }
    steps.push(form(
        "link-priority",
        t.with("year-link", &[("year", &year.to_string())]),
        json!({ "year": year }),
        vec![
            field("priority", t.get("year-priority-number"), "number", "1"),
            typed("record", t.get("year-record"), "record"),
        ],
    ));
    steps
}
