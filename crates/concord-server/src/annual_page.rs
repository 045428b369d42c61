//! The console's page of the chair's annual report: the report as the account may read it,
//! with its charts, its SHA-256, its PDFs, whether the chair submitted it, and for the
//! chair's officials the form that signs the submission in the browser.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use concord_core::accounts::Affiliation;
use concord_core::year::Party;
use concord_store::annual::{self, Part};
use serde_json::json;

use crate::AppState;
use crate::console::{Chrome, chrome, render};
use crate::problem::Problem;
use crate::year_pages::{SignedForm, Viewer, YearQuery, party_name};

struct Section {
    heading: String,
    lines: Vec<String>,
    bars: Vec<(String, u64, u32)>,
}

#[derive(Template)]
#[template(path = "annual.html")]
struct AnnualPage {
    chrome: Chrome,
    year: i32,
    chair: String,
    motto: Option<String>,
    digest_label: String,
    digest: String,
    submission: String,
    pdf: String,
    form: Option<SignedForm>,
    sections: Vec<Section>,
}

/// Bars scaled to 380 pixels at the largest value.
fn bars(values: Vec<(String, u64)>) -> Vec<(String, u64, u32)> {
    let max = values.iter().map(|v| v.1).max().unwrap_or(0).max(1);
    values
        .into_iter()
        .map(|(label, value)| {
            let width = u32::try_from(value * 380 / max).unwrap_or(380);
            (label, value, width)
        })
        .collect()
}

pub(crate) async fn report_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<YearQuery>,
) -> Result<Response, Problem> {
    let c = match Viewer::of(&state, &headers, &q).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let (t, lang, year, reader) = (c.t, c.t.language().tag(), c.year, c.reader);
    let (signed_in, account) = (&c.signed_in, &c.signed_in.1);
    let store = state.store.as_ref();
    let part = if concord_store::access::reads_confidential(&reader, &state.charter.sharing_groups)
    {
        Part::Full
    } else {
        Part::Public
    };
    let report =
        annual::report(store, &state.charter, &state.deployment.origin, year, part).await?;
    let digest = report.digest();
    let submitted = concord_core::year::ChairFile::fold(
        &store
            .subject_events(&format!("chairmanship/{year}"))
            .await?,
    )
    .report;
    let submission = match &submitted {
        Some(s) if s.report.sha256 == digest || part == Part::Public => t.with(
            "annual-submitted",
            &[("day", &concord_core::PartialDate::Day(s.on).spoken(lang))],
        ),
        Some(s) => t.with(
            "annual-submitted-differs",
            &[("day", &concord_core::PartialDate::Day(s.on).spoken(lang))],
        ),
        None => t.get("annual-not-submitted"),
    };
    let form = match account.affiliation {
        Affiliation::State(m) if m == report.chair && submitted.is_none() && part == Part::Full => {
            Some(SignedForm::new(
                t,
                &state.deployment.origin,
                "submit-annual-report",
                t.get("annual-submit"),
                m.to_string(),
                json!({ "year": year, "chair": m, "sha256": digest }),
                vec![],
            ))
        }
        _ => None,
    };
    let name = |m: concord_core::code::MemberCode| party_name(&state, lang, &Party::Member(m));
    let sections = sections(&state, &report, t, year);
    let page = AnnualPage {
        chrome: chrome(
            t,
            t.with("annual-title", &[("year", &year.to_string())]),
            Some(signed_in),
        ),
        year,
        chair: t.with("annual-chair", &[("chair", &name(report.chair))]),
        motto: report.motto.as_ref().map(|m| m.get(lang).to_owned()),
        digest_label: t.get("annual-digest"),
        digest,
        submission,
        pdf: t.get("annual-pdf"),
        form,
        sections,
    };
    Ok(render(page).into_response())
}

/// The report's sections as the page shows them, with bars scaled for its charts.
fn sections(
    state: &AppState,
    report: &annual::AnnualReport,
    t: &'static crate::i18n::Messages,
    year: i32,
) -> Vec<Section> {
    let lang = t.language().tag();
    let name = |m: concord_core::code::MemberCode| party_name(state, lang, &Party::Member(m));
    let mut sections = vec![Section {
        heading: t.get("annual-priorities"),
        lines: report
            .priorities
            .iter()
            .map(|p| {
                let served: Vec<&str> = p.served_by.iter().map(|s| s.title.get(lang)).collect();
                let served = if served.is_empty() {
                    t.get("annual-nothing-linked")
                } else {
                    served.join("; ")
                };
                format!("{}. {} — {served}", p.number, p.text.get(lang))
            })
            .collect(),
        bars: vec![],
    }];
    sections.push(Section {
        heading: t.get("annual-sessions"),
        lines: report
            .sessions
            .iter()
            .map(|s| {
                let bodies: Vec<&str> = s.bodies.iter().map(|b| b.get(lang)).collect();
                let attendance: Vec<String> = s
                    .attendance
                    .iter()
                    .map(|(m, a)| format!("{} {}", name(*m), a.as_str()))
                    .collect();
                format!(
                    "{} — {}, {} — {}",
                    bodies.join(" + "),
                    s.date_spoken.get(lang),
                    s.city.as_ref().map(|c| c.get(lang)).unwrap_or_default(),
                    attendance.join(", ")
                )
            })
            .collect(),
        bars: vec![],
    });
    sections.push(Section {
        heading: t.get("annual-documents"),
        lines: report
            .documents
            .iter()
            .map(|d| {
                let mut line = format!(
                    "{} — {}",
                    d.title.get(lang),
                    crate::pages::status_word(t, d.status)
                );
                for m in &d.stayed_out {
                    line.push_str(&format!("; {} — {}", name(*m), t.get("year-stayed-out")));
                }
                for o in &d.objections {
                    line.push_str(&format!(
                        "; {}: {}",
                        name(o.member),
                        o.reason.clone().unwrap_or_default()
                    ));
                }
                line
            })
            .collect(),
        bars: vec![],
    });
    sections.push(Section {
        heading: t.get("annual-programmes"),
        lines: vec![],
        bars: bars(
            report
                .programmes
                .iter()
                .map(|p| (p.title.get(lang).to_owned(), u64::from(p.percent)))
                .collect(),
        ),
    });
    sections.push(Section {
        heading: t.get("annual-exercises"),
        lines: report
            .exercises
            .list
            .iter()
            .map(|e| e.name.get(lang).to_owned())
            .collect(),
        bars: vec![],
    });
    if let Some(incidents) = &report.incidents {
        sections.push(Section {
            heading: t.get("annual-incidents-domain"),
            lines: vec![],
            bars: bars(
                incidents
                    .iter()
                    .map(|d| (d.name.get(lang).to_owned(), u64::from(d.total)))
                    .collect(),
            ),
        });
        let mut months = [0u64; 12];
        for d in incidents {
            for (m, n) in d.months.iter().enumerate() {
                months[m] += u64::from(*n);
            }
        }
        sections.push(Section {
            heading: t.get("annual-incidents-month"),
            lines: vec![],
            bars: bars(
                months
                    .iter()
                    .enumerate()
                    .map(|(m, n)| {
                        let month = time::Month::try_from(m as u8 + 1).expect("twelve months");
                        (
                            concord_core::PartialDate::Month(year, month).spoken(lang),
                            *n,
                        )
                    })
                    .collect(),
            ),
        });
    }
    if let Some(requests) = &report.requests {
        sections.push(Section {
            heading: t.get("annual-requests"),
            lines: if requests.is_empty() {
                vec![t.get("annual-none")]
            } else {
                requests
                    .iter()
                    .map(|r| {
                        format!(
                            "{} — {} ({}): {} / {}",
                            r.id,
                            name(r.requester),
                            r.requested_on,
                            r.decision.as_deref().unwrap_or("—"),
                            r.deployment.as_deref().unwrap_or("—")
                        )
                    })
                    .collect()
            },
            bars: vec![],
        });
    }
    if let Some(b) = &report.budget {
        sections.push(Section {
            heading: t.get("annual-budget"),
            lines: b
                .members
                .iter()
                .map(|m| {
                    format!(
                        "{}: {} {} / {} {} / {} {}",
                        name(m.member),
                        t.get("year-assessed"),
                        m.assessed,
                        t.get("year-paid"),
                        m.paid,
                        t.get("year-outstanding"),
                        m.outstanding
                    )
                })
                .collect(),
            bars: vec![],
        });
    }
    sections
}
