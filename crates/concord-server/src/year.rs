//! The organisation's year over HTTP: programmes and their progress, budgets and arrears,
//! quota posts, who holds each post by the charter's rule, and the chair's annual report
//! (JSON and PDF). Writes are signed commands through `POST /api/v1/council/commands`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use concord_store::annual::{self, AnnualReport, Part};
use concord_store::year::{self as views, BudgetView, PostView, ProgrammeView, QuotaView};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{ApiQuery, day_param};
use crate::problem::Problem;
use crate::reader::ReaderOf;

/// The routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(programmes))
        .routes(routes!(programme))
        .routes(routes!(budget))
        .routes(routes!(quota))
        .routes(routes!(holders))
        .routes(routes!(annual_report))
        .routes(routes!(annual_report_pdf))
}

/// A day to read as of.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AsOf {
    /// A day, YYYY-MM-DD; today if absent.
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    date: Option<String>,
}

/// Programmes and action plans the reader may read, with their items standing on the day.
#[utoipa::path(get, path = "/api/v1/programmes", tag = "year", params(AsOf), responses((status = 200, description = "Programmes and action plans with their items, progress and what is overdue", body = [ProgrammeView]), crate::openapi::ReadErrors))]
async fn programmes(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    ApiQuery(q): ApiQuery<AsOf>,
) -> Result<Json<Vec<ProgrammeView>>, Problem> {
    let day = day_param(q.date.as_deref())?;
    Ok(Json(
        views::programmes(state.store.as_ref(), &state.charter, &reader, day).await?,
    ))
}

/// One programme or action plan.
#[utoipa::path(get, path = "/api/v1/programmes/{id}", tag = "year", params(("id" = String, Path, description = "The programme's document"), AsOf), responses((status = 200, description = "The programme with its items", body = ProgrammeView), crate::openapi::ReadErrors))]
async fn programme(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<AsOf>,
) -> Result<Json<ProgrammeView>, Problem> {
    let day = day_param(q.date.as_deref())?;
    views::programme(state.store.as_ref(), &state.charter, &reader, &id, day)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown(format!("no programme `{id}`")))
}

fn year(text: &str) -> Result<i32, Problem> {
    text.parse::<i32>()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .ok_or_else(|| Problem::bad_parameter(format!("`{text}` is not a year (write e.g. 2026)")))
}

/// A year's budget: each member's contribution, payments and arrears (members and the
/// secretariat).
#[utoipa::path(get, path = "/api/v1/budgets/{year}", tag = "year", params(("year" = String, Path, description = "The budget year"), AsOf), responses((status = 200, description = "The budget with each member's account", body = BudgetView), crate::openapi::ReadErrors))]
async fn budget(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(y): Path<String>,
    ApiQuery(q): ApiQuery<AsOf>,
) -> Result<Json<BudgetView>, Problem> {
    let y = year(&y)?;
    let day = day_param(q.date.as_deref())?;
    views::budget(state.store.as_ref(), &state.charter, &reader, y, day)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown(format!("no budget of {y}")))
}

/// The quota posts of the period covering a year (members and the secretariat).
#[utoipa::path(get, path = "/api/v1/quota-posts/{year}", tag = "year", params(("year" = String, Path, description = "Any year of the period")), responses((status = 200, description = "Each member's quota posts: allotted, renounced, filled and by whom", body = QuotaView), crate::openapi::ReadErrors))]
async fn quota(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(y): Path<String>,
) -> Result<Json<QuotaView>, Problem> {
    let y = year(&y)?;
    views::quota(state.store.as_ref(), &state.charter, &reader, y)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown(format!("no apportionment of quota posts covering {y}")))
}

/// A day to ask about.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct At {
    /// A day, YYYY-MM-DD; today if absent.
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    at: Option<String>,
}

/// Who holds a post on a day: the term the charter's rule gives and the recorded holders,
/// each checked against it.
#[utoipa::path(get, path = "/api/v1/posts/{code}/holders", tag = "registry", params(("code" = String, Path, description = "The post"), At), responses((status = 200, description = "The rule's term and the recorded holders", body = PostView), crate::openapi::ReadErrors))]
async fn holders(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<At>,
) -> Result<Json<PostView>, Problem> {
    let at = day_param(q.at.as_deref())?;
    views::posts(state.store.as_ref(), &state.charter, at, Some(&code))
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| Problem::unknown(format!("the charter has no post `{code}`")))
}

/// Which part of the report, and in which language its PDF.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ReportParams {
    /// `full` (members and the secretariat) or `public`; the most the reader may read if
    /// absent.
    part: Option<String>,
    /// `en` or `ru` (the PDF's language); `en` if absent.
    lang: Option<String>,
}

/// The report with its digest and, once submitted, the submission.
#[derive(Serialize, utoipa::ToSchema)]
struct ReportAnswer {
    /// SHA-256 of the report's canonical JSON: what the chair signs (`submit-annual-report`).
    sha256: String,
    /// The submission on the ledger, if any.
    #[schema(value_type = Option<Object>)]
    submitted: Option<concord_core::year::AnnualReportSubmitted>,
    /// Whether the submitted hash is this report's.
    matches_submitted: Option<bool>,
    /// The report.
    report: AnnualReport,
}

async fn generate(
    state: &AppState,
    reader: &concord_core::releasability::Reader,
    y: &str,
    part: Option<&str>,
) -> Result<
    (
        AnnualReport,
        Option<concord_core::year::AnnualReportSubmitted>,
    ),
    Problem,
> {
    let y = year(y)?;
    let full_allowed =
        concord_store::access::reads_confidential(reader, &state.charter.sharing_groups);
    let part = match part {
        None if full_allowed => Part::Full,
        None | Some("public") => Part::Public,
        Some("full") if full_allowed => Part::Full,
        Some("full") => {
            return Err(Problem::new(
                crate::problem::ProblemKind::NotAuthorised,
                "the full report is read by member states and the secretariat; ask for part=public",
            ));
        }
        Some(other) => {
            return Err(Problem::bad_parameter(format!(
                "part: `{other}` is neither full nor public"
            )));
        }
    };
    let store = state.store.as_ref();
    let report = annual::report(store, &state.charter, &state.deployment.origin, y, part).await?;
    let submitted = concord_core::year::ChairFile::fold(
        &store.subject_events(&format!("chairmanship/{y}")).await?,
    )
    .report;
    Ok((report, submitted))
}

/// The chair's annual report of a year, generated from the record.
#[utoipa::path(get, path = "/api/v1/annual-reports/{year}", tag = "year", params(("year" = String, Path, description = "The chairmanship year"), ReportParams), responses((status = 200, description = "The report, its SHA-256 and its submission", body = ReportAnswer), crate::openapi::ReadErrors))]
async fn annual_report(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(y): Path<String>,
    ApiQuery(q): ApiQuery<ReportParams>,
) -> Result<Json<ReportAnswer>, Problem> {
    let (report, submitted) = generate(&state, &reader, &y, q.part.as_deref()).await?;
    let sha256 = report.digest();
    let matches_submitted = submitted
        .as_ref()
        .map(|s| s.report.sha256 == sha256 && report.part == Part::Full);
    Ok(Json(ReportAnswer {
        sha256,
        submitted,
        matches_submitted,
        report,
    }))
}

/// The chair's annual report as a PDF (fonts embedded; the same bytes every time).
#[utoipa::path(get, path = "/api/v1/annual-reports/{year}/pdf", tag = "year", params(("year" = String, Path, description = "The chairmanship year"), ReportParams), responses((status = 200, description = "The report as PDF", content_type = "application/pdf", body = Vec<u8>), crate::openapi::ReadErrors))]
async fn annual_report_pdf(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(y): Path<String>,
    ApiQuery(q): ApiQuery<ReportParams>,
) -> Result<Response, Problem> {
    let lang = match q.lang.as_deref() {
        None | Some("en") => "en",
        Some("ru") => "ru",
        Some(other) => {
            return Err(Problem::bad_parameter(format!(
                "lang: `{other}` is neither en nor ru"
            )));
        }
    };
    let (report, _) = generate(&state, &reader, &y, q.part.as_deref()).await?;
    let bytes = crate::annual_pdf::render(&report, &state.charter, lang)
        .map_err(|e| Problem::new(crate::problem::ProblemKind::RuleFailed, e.to_string()))?;
    let name = format!(
        "attachment; filename=\"annual-report-{}-{lang}.pdf\"",
        report.year
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}
