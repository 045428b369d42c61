//! The JSON API, version 1.

use axum::extract::{FromRequestParts, OriginalUri, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::routing::get;
use axum::{Json, Router};
use concord_core::code::MemberCode;
use concord_core::date::parse_day;
use concord_core::registry::MemberStatus;
use concord_store::SessionFilter;
use concord_store::queries::{self, ChairmanshipView, MemberView, SessionView};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::Date;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::problem::{Problem, ProblemKind};
use crate::reader::ReaderOf;
use concord_store::access::{may_read_document, may_read_session};

type ApiResult<T> = Result<Json<T>, Problem>;

/// The JSON API's routes, each declared once with its OpenAPI description.
fn json_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(problem_page))
        .routes(routes!(charter))
        .routes(routes!(members))
        .routes(routes!(member))
        .routes(routes!(bodies))
        .routes(routes!(posts))
        .routes(routes!(appointments))
        .routes(routes!(chairmanships))
        .routes(routes!(chairmanship))
        .routes(routes!(sessions))
        .routes(routes!(session))
        .routes(routes!(documents))
        .routes(routes!(document))
        .routes(routes!(exercises))
        .routes(routes!(operations))
        .routes(routes!(sources))
        .merge(crate::ledger::routes())
        .merge(crate::federation::routes())
        .merge(crate::council::routes())
        .merge(crate::council::request_routes())
        .merge(crate::incidents::routes())
        .merge(crate::alerts::routes())
        .merge(crate::year::routes())
        .merge(crate::stream::routes())
}

/// The OpenAPI 3.1 document of the JSON API, as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> String {
    json_api()
        .split_for_parts()
        .1
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

/// Every route of the application.
pub fn routes() -> Router<AppState> {
    let (api, document) = json_api().split_for_parts();
    let document = document
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    api.route(
        "/api/v1/openapi.json",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
    )
    .merge(crate::console::routes())
    .merge(crate::press::routes())
    .merge(crate::pages::routes())
    .merge(crate::year_pages::routes())
    .merge(crate::federation_page::routes())
    .merge(crate::admin::routes())
    .merge(crate::assets::routes())
    .fallback(not_found)
    .method_not_allowed_fallback(method_not_allowed)
}

/// Query parameters, refused as problem+json when malformed or unknown.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| Problem::bad_parameter(e.body_text()))
    }
}

pub(crate) fn day_param(date: Option<&str>) -> Result<Date, Problem> {
    match date {
        None => Ok(time::OffsetDateTime::now_utc().date()),
        Some(d) => parse_day(d).map_err(|_| {
            Problem::bad_parameter(format!("date: `{d}` is not a day: write YYYY-MM-DD"))
        }),
    }
}

fn year_param(name: &str, value: &str) -> Result<i32, Problem> {
    value.parse().map_err(|_| {
        Problem::bad_parameter(format!("{name}: `{value}` is not a year (write e.g. 2024)"))
    })
}

fn member_code(code: &str) -> Result<MemberCode, Problem> {
    code.parse()
        .map_err(|e| Problem::bad_parameter(format!("{e}")))
}

#[utoipa::path(get, path = "/healthz", tag = "ledger", responses((status = 200, description = "The server and its database answer; the ledger's size", body = Object), crate::openapi::ReadErrors))]
async fn health(State(state): State<AppState>) -> ApiResult<Value> {
    state.store.ping().await?;
    let events = state.store.event_count().await?;
    Ok(Json(json!({ "status": "ok", "events": events })))
}

#[utoipa::path(get, path = "/problems/{kind}", tag = "ledger", params(("kind" = String, Path, description = "The kind")), responses((status = 200, description = "What a kind of problem means", body = Object), crate::openapi::ReadErrors))]
async fn problem_page(Path(kind): Path<String>) -> ApiResult<Value> {
    let kind = ProblemKind::ALL
        .into_iter()
        .find(|k| k.slug() == kind)
        .ok_or_else(|| Problem::new(ProblemKind::NotFound, format!("no problem type `{kind}`")))?;
    Ok(Json(json!({
        "type": format!("/problems/{}", kind.slug()),
        "title": kind.title(),
        "explanation": kind.explanation(),
    })))
}

async fn not_found(OriginalUri(uri): OriginalUri) -> Problem {
    Problem::new(
        ProblemKind::NotFound,
        format!("nothing is served at `{}`", uri.path()),
    )
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> Problem {
    Problem::new(
        ProblemKind::MethodNotAllowed,
        format!("`{}` does not accept {method}", uri.path()),
    )
}

#[utoipa::path(get, path = "/api/v1/charter", tag = "registry", responses((status = 200, description = "The charter", body = Object), crate::openapi::ReadErrors))]
async fn charter(State(state): State<AppState>) -> ApiResult<Value> {
    Ok(Json(
        serde_json::to_value(state.charter.as_ref()).expect("charters serialise"),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct OnDay {
    /// A day, YYYY-MM-DD; today if absent.
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    date: Option<String>,
    /// Only states of this status.
    #[param(pattern = r"^(member|frozen|suspended|partner|observer|withdrawn)$")]
    status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/members", tag = "registry", params(OnDay), responses((status = 200, description = "Every state the charter names, with its status on the day", body = [MemberView]), crate::openapi::ReadErrors))]
async fn members(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OnDay>,
) -> ApiResult<Vec<MemberView>> {
    let day = day_param(q.date.as_deref())?;
    let status = q
        .status
        .map(|s| {
            MemberStatus::parse(&s).ok_or_else(|| {
                let known: Vec<&str> = MemberStatus::ALL.iter().map(MemberStatus::as_str).collect();
                Problem::bad_parameter(format!(
                    "status: unknown status `{s}`; one of {}",
                    known.join(", ")
                ))
            })
        })
        .transpose()?;
    let mut all = queries::members(state.store.as_ref(), &state.charter, day).await?;
    if let Some(status) = status {
        all.retain(|m| m.status == Some(status));
    }
    Ok(Json(all))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DateOnly {
    /// A day, YYYY-MM-DD; today if absent.
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    date: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/members/{code}", tag = "registry", params(("code" = String, Path, description = "The code"), DateOnly), responses((status = 200, description = "One state with its status history", body = Object), crate::openapi::ReadErrors))]
async fn member(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<DateOnly>,
) -> ApiResult<Value> {
    let code = member_code(&code)?;
    let day = day_param(q.date.as_deref())?;
    let view = queries::member(state.store.as_ref(), &state.charter, code, day).await?;
    let history: Vec<_> = state
        .store
        .status_records()
        .await?
        .into_iter()
        .filter(|r| r.member == code)
        .collect();
    let mut value = serde_json::to_value(view).expect("views serialise");
    value["status_history"] = serde_json::to_value(history).expect("records serialise");
    Ok(Json(value))
}

#[utoipa::path(get, path = "/api/v1/bodies", tag = "registry", responses((status = 200, description = "The bodies", body = [Object]), crate::openapi::ReadErrors))]
async fn bodies(State(state): State<AppState>) -> ApiResult<Value> {
    Ok(Json(
        serde_json::to_value(&state.charter.bodies).expect("bodies serialise"),
    ))
}

#[utoipa::path(get, path = "/api/v1/posts", tag = "registry", responses((status = 200, description = "The posts", body = [Object]), crate::openapi::ReadErrors))]
async fn posts(State(state): State<AppState>) -> ApiResult<Value> {
    Ok(Json(
        serde_json::to_value(&state.charter.posts).expect("posts serialise"),
    ))
}

#[utoipa::path(get, path = "/api/v1/appointments", tag = "registry", responses((status = 200, description = "Who held which post", body = [Object]), crate::openapi::ReadErrors))]
async fn appointments(State(state): State<AppState>) -> ApiResult<Value> {
    let all = state.store.appointments().await?;
    Ok(Json(
        serde_json::to_value(all).expect("appointments serialise"),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct YearRange {
    /// First year (this year if absent).
    #[param(pattern = r"^[0-9]{4}$")]
    from: Option<String>,
    /// Last year (this year if absent).
    #[param(pattern = r"^[0-9]{4}$")]
    to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/chairmanships", tag = "registry", params(YearRange), responses((status = 200, description = "Who chairs each year, by the rotation rule", body = [ChairmanshipView]), crate::openapi::ReadErrors))]
async fn chairmanships(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<YearRange>,
) -> ApiResult<Vec<ChairmanshipView>> {
    let this_year = time::OffsetDateTime::now_utc().year();
    let from = q
        .from
        .as_deref()
        .map(|v| year_param("from", v))
        .transpose()?;
    let to = q.to.as_deref().map(|v| year_param("to", v)).transpose()?;
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, f.max(this_year)),
        (None, Some(t)) => (t.min(this_year), t),
        (None, None) => (this_year, this_year),
    };
    Ok(Json(
        queries::chairmanships(state.store.as_ref(), &state.charter, from, to).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/chairmanships/{year}", tag = "registry", params(("year" = String, Path, description = "The year")), responses((status = 200, description = "One year's chairmanship", body = ChairmanshipView), crate::openapi::ReadErrors))]
async fn chairmanship(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> ApiResult<ChairmanshipView> {
    let year = year_param("year", &year)?;
    let mut one = queries::chairmanships(state.store.as_ref(), &state.charter, year, year).await?;
    Ok(Json(one.remove(0)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SessionParams {
    /// Only sessions of this year.
    #[param(pattern = r"^-?[0-9]+$")]
    year: Option<String>,
    /// Only sessions of this body.
    #[param(pattern = r"^[a-z0-9][a-z0-9-]*$")]
    body: Option<String>,
    /// At most this many (1 to 1000; 100 if absent).
    #[param(pattern = r"^[0-9]+$")]
    limit: Option<String>,
    /// Go on after this cursor: the `after` of the previous page's `Link: <…>; rel="next"`.
    #[param(pattern = r"^[0-9a-f]+$")]
    after: Option<String>,
}

/// Sessions the reader may read, in date order, a page at a time.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "council", params(SessionParams), responses((status = 200, description = "Sessions the reader may read, in date order; a full page carries `Link: <...>; rel=\"next\"`", body = [SessionView], headers(("Link" = String, description = "The next page, when this one is full"))), crate::openapi::ReadErrors))]
async fn sessions(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    ApiQuery(q): ApiQuery<SessionParams>,
) -> Result<(axum::http::HeaderMap, Json<Vec<SessionView>>), Problem> {
    let limit = crate::paging::limit(q.limit.as_deref())?;
    let year = q
        .year
        .as_deref()
        .map(|v| year_param("year", v))
        .transpose()?;
    if let Some(body) = &q.body {
        if !state.charter.bodies.iter().any(|b| b.code.as_str() == body) {
            let known: Vec<&str> = state
                .charter
                .bodies
                .iter()
                .map(|b| b.code.as_str())
                .collect();
            return Err(Problem::bad_parameter(format!(
                "body: unknown body `{body}`; one of {}",
                known.join(", ")
            )));
        }
    }
    let filter = SessionFilter { year, body: q.body };
    let store = state.store.as_ref();
    let groups = &state.charter.sharing_groups;
    let mut readable = Vec::new();
    for s in queries::sessions(store, &filter).await? {
        if may_read_session(store, &reader, groups, s.id.as_str()).await? {
            readable.push(s);
        }
    }
    let (page, next) =
        crate::paging::page(readable, |s| s.id.to_string(), q.after.as_deref(), limit)?;
    Ok((crate::paging::next_link(&uri, next), Json(page)))
}

#[utoipa::path(get, path = "/api/v1/sessions/{id}", tag = "council", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "One session", body = SessionView), crate::openapi::ReadErrors))]
async fn session(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> ApiResult<SessionView> {
    if !may_read_session(
        state.store.as_ref(),
        &reader,
        &state.charter.sharing_groups,
        &id,
    )
    .await?
    {
        return Err(Problem::unknown(format!("no session `{id}`")));
    }
    queries::session(state.store.as_ref(), &id)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown(format!("no session `{id}`")))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DocumentParams {
    /// Only documents of this session.
    #[param(pattern = r"^[a-z0-9][a-z0-9-]*$")]
    session: Option<String>,
    /// At most this many (1 to 1000; 100 if absent).
    #[param(pattern = r"^[0-9]+$")]
    limit: Option<String>,
    /// Go on after this cursor: the `after` of the previous page's `Link: <…>; rel="next"`.
    #[param(pattern = r"^[0-9a-f]+$")]
    after: Option<String>,
}

/// Documents the reader may read, a page at a time.
#[utoipa::path(get, path = "/api/v1/documents", tag = "council", params(DocumentParams), responses((status = 200, description = "Documents the reader may read; a full page carries `Link: <...>; rel=\"next\"`", body = [concord_core::history::Document], headers(("Link" = String, description = "The next page, when this one is full"))), crate::openapi::ReadErrors))]
async fn documents(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    ApiQuery(q): ApiQuery<DocumentParams>,
) -> Result<(axum::http::HeaderMap, Json<Value>), Problem> {
    let limit = crate::paging::limit(q.limit.as_deref())?;
    if let Some(s) = &q.session {
        s.parse::<concord_core::code::Slug>()
            .map_err(|e| Problem::bad_parameter(format!("session: {e}")))?;
    }
    let sessions = q.session.map(|s| vec![s]);
    let store = state.store.as_ref();
    let mut readable = Vec::new();
    for d in store.documents(sessions.as_deref()).await? {
        if may_read_document(store, &reader, &state.charter.sharing_groups, d.id.as_str()).await? {
            readable.push(d);
        }
    }
    let (page, next) =
        crate::paging::page(readable, |d| d.id.to_string(), q.after.as_deref(), limit)?;
    Ok((
        crate::paging::next_link(&uri, next),
        Json(serde_json::to_value(page).expect("documents serialise")),
    ))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "council", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "One document", body = concord_core::history::Document), crate::openapi::ReadErrors))]
async fn document(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    if !may_read_document(
        state.store.as_ref(),
        &reader,
        &state.charter.sharing_groups,
        &id,
    )
    .await?
    {
        return Err(Problem::unknown(format!("no document `{id}`")));
    }
    let doc = state
        .store
        .document(&id)
        .await?
        .ok_or_else(|| Problem::unknown(format!("no document `{id}`")))?;
    Ok(Json(
        serde_json::to_value(doc).expect("documents serialise"),
    ))
}

#[utoipa::path(get, path = "/api/v1/exercises", tag = "crisis", responses((status = 200, description = "Exercises with yearly totals", body = Object), crate::openapi::ReadErrors))]
async fn exercises(State(state): State<AppState>) -> ApiResult<Value> {
    use concord_core::history::Count;
    let years = state.store.exercise_years().await?;
    let exercises = state.store.exercises().await?;
    // Beside each year's recorded totals: how many of its exercises are recorded, and the
    // sum of the exact figures they carry (a bound or a missing figure is left out).
    let sum = |year: i32, figure: fn(&concord_core::history::Exercise) -> Option<Count>| {
        exercises
            .iter()
            .filter(|e| e.year == year)
            .filter_map(|e| match figure(e) {
                Some(Count::Exact(n)) => Some(n),
                _ => None,
            })
            .sum::<u64>()
    };
    let years: Vec<Value> = years
        .iter()
        .map(|y| {
            let mut v = serde_json::to_value(y).expect("years serialise");
            v["exercises_recorded"] = json!(exercises.iter().filter(|e| e.year == y.year).count());
            v["sum_of_recorded_exercises"] = json!({
                "personnel": sum(y.year, |e| e.personnel),
                "equipment": sum(y.year, |e| e.equipment),
                "aircraft": sum(y.year, |e| e.aircraft),
            });
            v
        })
        .collect();
    Ok(Json(json!({ "years": years, "exercises": exercises })))
}

#[utoipa::path(get, path = "/api/v1/operations", tag = "crisis", responses((status = 200, description = "Standing operations", body = [Object]), crate::openapi::ReadErrors))]
async fn operations(State(state): State<AppState>) -> ApiResult<Value> {
    let all = state.store.operations().await?;
    Ok(Json(
        serde_json::to_value(all).expect("operations serialise"),
    ))
}

#[utoipa::path(get, path = "/api/v1/sources", tag = "registry", responses((status = 200, description = "The cited sources", body = [Object]), crate::openapi::ReadErrors))]
async fn sources(State(state): State<AppState>) -> ApiResult<Value> {
    let all = state.store.sources().await?;
    Ok(Json(serde_json::to_value(all).expect("sources serialise")))
}
