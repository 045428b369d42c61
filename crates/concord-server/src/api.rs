//! The JSON API, version 1.

use axum::extract::{FromRequestParts, OriginalUri, Path, Query, State};
use axum::http::Method;
use axum::http::request::Parts;
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

use crate::AppState;
use crate::problem::{Problem, ProblemKind};
use crate::reader::ReaderOf;
use concord_core::council::{is_consultation, member_or_secretariat};

type ApiResult<T> = Result<Json<T>, Problem>;

/// Every route of the application.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/problems/{kind}", get(problem_page))
        .route("/api/v1/charter", get(charter))
        .route("/api/v1/members", get(members))
        .route("/api/v1/members/{code}", get(member))
        .route("/api/v1/bodies", get(bodies))
        .route("/api/v1/posts", get(posts))
        .route("/api/v1/appointments", get(appointments))
        .route("/api/v1/chairmanships", get(chairmanships))
        .route("/api/v1/chairmanships/{year}", get(chairmanship))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/sessions/{id}", get(session))
        .route("/api/v1/documents", get(documents))
        .route("/api/v1/documents/{id}", get(document))
        .route("/api/v1/exercises", get(exercises))
        .route("/api/v1/programmes", get(programmes))
        .route("/api/v1/operations", get(operations))
        .route("/api/v1/sources", get(sources))
        .merge(crate::ledger::routes())
        .merge(crate::council::routes())
        .merge(crate::council::request_routes())
        .merge(crate::incidents::routes())
        .merge(crate::alerts::routes())
        .merge(crate::console::routes())
        .merge(crate::press::routes())
        .merge(crate::pages::routes())
        .merge(crate::admin::routes())
        .merge(crate::assets::routes())
        .merge(crate::stream::routes())
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

fn day_param(date: Option<&str>) -> Result<Date, Problem> {
    match date {
        None => Ok(time::OffsetDateTime::now_utc().date()),
        Some(d) => parse_day(d).map_err(|e| Problem::bad_parameter(format!("date: {e}"))),
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

async fn health(State(state): State<AppState>) -> ApiResult<Value> {
    state.store.ping().await?;
    let events = state.store.event_count().await?;
    Ok(Json(json!({ "status": "ok", "events": events })))
}

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

async fn charter(State(state): State<AppState>) -> ApiResult<Value> {
    Ok(Json(
        serde_json::to_value(state.charter.as_ref()).expect("charters serialise"),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDay {
    date: Option<String>,
    status: Option<String>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DateOnly {
    date: Option<String>,
}

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

async fn bodies(State(state): State<AppState>) -> ApiResult<Value> {
    Ok(Json(
        serde_json::to_value(&state.charter.bodies).expect("bodies serialise"),
    ))
}

async fn posts(State(state): State<AppState>) -> ApiResult<Value> {
    Ok(Json(
        serde_json::to_value(&state.charter.posts).expect("posts serialise"),
    ))
}

async fn appointments(State(state): State<AppState>) -> ApiResult<Value> {
    let all = state.store.appointments().await?;
    Ok(Json(
        serde_json::to_value(all).expect("appointments serialise"),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearRange {
    from: Option<String>,
    to: Option<String>,
}

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

async fn chairmanship(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> ApiResult<ChairmanshipView> {
    let year = year_param("year", &year)?;
    let mut one = queries::chairmanships(state.store.as_ref(), &state.charter, year, year).await?;
    Ok(Json(one.remove(0)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionParams {
    year: Option<String>,
    body: Option<String>,
}

async fn sessions(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    ApiQuery(q): ApiQuery<SessionParams>,
) -> ApiResult<Vec<SessionView>> {
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
    let mut sessions = queries::sessions(state.store.as_ref(), &filter).await?;
    if !member_or_secretariat(&reader) {
        sessions.retain(|s| !is_consultation(s.id.as_str()));
    }
    Ok(Json(sessions))
}

async fn session(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> ApiResult<SessionView> {
    if is_consultation(&id) && !member_or_secretariat(&reader) {
        return Err(Problem::unknown(format!("no session `{id}`")));
    }
    queries::session(state.store.as_ref(), &id)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown(format!("no session `{id}`")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentParams {
    session: Option<String>,
}

async fn documents(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    ApiQuery(q): ApiQuery<DocumentParams>,
) -> ApiResult<Value> {
    let sessions = q.session.map(|s| vec![s]);
    let mut all = state.store.documents(sessions.as_deref()).await?;
    if !member_or_secretariat(&reader) {
        all.retain(|d| !is_consultation(d.id.as_str()));
    }
    Ok(Json(
        serde_json::to_value(all).expect("documents serialise"),
    ))
}

async fn document(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    if is_consultation(&id) && !member_or_secretariat(&reader) {
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

async fn operations(State(state): State<AppState>) -> ApiResult<Value> {
    let all = state.store.operations().await?;
    Ok(Json(
        serde_json::to_value(all).expect("operations serialise"),
    ))
}

async fn programmes(State(state): State<AppState>) -> ApiResult<Value> {
    let all = state.store.programmes().await?;
    Ok(Json(
        serde_json::to_value(all).expect("programmes serialise"),
    ))
}

async fn sources(State(state): State<AppState>) -> ApiResult<Value> {
    let all = state.store.sources().await?;
    Ok(Json(serde_json::to_value(all).expect("sources serialise")))
}
