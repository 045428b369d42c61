//! The administrators' page: accounts opened, their roles changed, closed, from the
//! console. Every change goes through the same functions as `concord users`, recorded on
//! the ledger with the administrator's username; every form carries the session's CSRF
//! token; an account without the administrator's role is told so, in its language.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use concord_core::accounts::{Account, Language, Role};
use concord_store::accounts as app;

use crate::AppState;
use crate::console::{Chrome, chrome, constant_time_eq, render, to_sign_in, visitor};
use crate::i18n::{Messages, messages};
use crate::problem::Problem;

/// The administrators' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(page).post(open))
        .route("/admin/accounts/{username}/roles", post(roles))
        .route("/admin/accounts/{username}/close", post(close))
}

/// One account as the page lists it.
struct Line {
    username: String,
    name: String,
    affiliation: String,
    closed: bool,
    roles: Vec<(&'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    allowed: bool,
    note: Option<String>,
    note_class: &'static str,
    accounts: Vec<Line>,
    closed_mark: String,
    submit_roles: String,
    submit_close: String,
    open_heading: String,
    username_label: String,
    name_label: String,
    affiliation_label: String,
    language_label: String,
    roles_label: String,
    all_roles: Vec<(&'static str, String)>,
    submit_open: String,
}

/// An answer on the page: its status and what to say (good news or a refusal).
struct Outcome {
    status: StatusCode,
    note: Option<String>,
}

async fn show(
    state: &AppState,
    t: &'static Messages,
    signed_in: &(concord_store::ConsoleSession, Account),
    outcome: Outcome,
) -> Result<Response, Problem> {
    let allowed = signed_in.1.has(Role::Administrator);
    let accounts = if allowed {
        state
            .store
            .accounts()
            .await?
            .into_iter()
            .map(|(a, closed)| Line {
                roles: Role::ALL
                    .iter()
                    .map(|r| (r.as_str(), t.get(&format!("role-{r}")), a.has(*r)))
                    .collect(),
                username: a.username,
                name: a.name,
                affiliation: a.affiliation.to_string(),
                closed,
            })
            .collect()
    } else {
        vec![]
    };
    let note_class = if outcome.status.is_success() {
        "done"
    } else {
        "error"
    };
    let page = AdminPage {
        chrome: chrome(t, t.get("admin-title"), Some(signed_in)),
        allowed,
        note: outcome.note,
        note_class,
        accounts,
        closed_mark: t.get("admin-closed-mark"),
        submit_roles: t.get("admin-submit-roles"),
        submit_close: t.get("admin-submit-close"),
        open_heading: t.get("admin-open"),
        username_label: t.get("admin-username"),
        name_label: t.get("admin-name"),
        affiliation_label: t.get("admin-affiliation"),
        language_label: t.get("admin-language"),
        roles_label: t.get("admin-roles"),
        all_roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), t.get(&format!("role-{r}"))))
            .collect(),
        submit_open: t.get("admin-submit-open"),
    };
    Ok((outcome.status, render(page)).into_response())
}

fn no_right(t: &Messages) -> Outcome {
    Outcome {
        status: StatusCode::FORBIDDEN,
        note: Some(t.with("admin-no-right", &[("role", Role::Administrator.as_str())])),
    }
}

async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let v = visitor(&state, &headers).await?;
    let Some(signed_in) = &v.signed_in else {
        return Ok(to_sign_in(&v));
    };
    let t = messages(v.language);
    let outcome = if signed_in.1.has(Role::Administrator) {
        Outcome {
            status: StatusCode::OK,
            note: None,
        }
    } else {
        no_right(t)
    };
    show(&state, t, signed_in, outcome).await
}

/// Reads a form's fields; `role` may repeat.
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn roles_of(form: &[(String, String)]) -> Result<Vec<Role>, String> {
    form.iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, v)| v.parse())
        .collect()
}

/// Runs an administrator's change: signed in, CSRF token, administrator's role, then
/// `act`, whose answer the page shows.
async fn change<F, Fut>(
    state: AppState,
    headers: HeaderMap,
    form: Vec<(String, String)>,
    act: F,
) -> Result<Response, Problem>
where
    F: FnOnce(AppState, &'static Messages, String, Vec<(String, String)>) -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, Problem>>,
{
    let v = visitor(&state, &headers).await?;
    let Some(signed_in) = &v.signed_in else {
        return Ok(to_sign_in(&v));
    };
    let t = messages(v.language);
    if !constant_time_eq(&signed_in.0.csrf, field(&form, "csrf")) {
        let outcome = Outcome {
            status: StatusCode::FORBIDDEN,
            note: Some(t.get("form-expired")),
        };
        return show(&state, t, signed_in, outcome).await;
    }
    if !signed_in.1.has(Role::Administrator) {
        return show(&state, t, signed_in, no_right(t)).await;
    }
    let by = signed_in.1.username.clone();
    let outcome = act(state.clone(), t, by, form).await?;
    state.tail.wake();
    show(&state, t, signed_in, outcome).await
}

fn refused(t: &Messages, status: StatusCode, why: impl std::fmt::Display) -> Outcome {
    Outcome {
        status,
        note: Some(t.with("admin-refused", &[("why", &why.to_string())])),
    }
}

fn refusal(t: &Messages, e: app::AccountOpError) -> Result<Outcome, Problem> {
    match e {
        app::AccountOpError::Store(e) => Err(e.into()),
        app::AccountOpError::Exists(_) => Ok(refused(t, StatusCode::CONFLICT, e)),
        app::AccountOpError::NoSuch(_) => Ok(refused(t, StatusCode::NOT_FOUND, e)),
        e => Ok(refused(t, StatusCode::BAD_REQUEST, e)),
    }
}

async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    change(state, headers, form, |state, t, by, form| async move {
        let (username, name, affiliation) = (
            field(&form, "username").to_lowercase(),
            field(&form, "name").to_owned(),
            field(&form, "affiliation").to_owned(),
        );
        let roles = match roles_of(&form) {
            Ok(r) => r,
            Err(why) => return Ok(refused(t, StatusCode::BAD_REQUEST, why)),
        };
        if username.is_empty() || name.is_empty() || affiliation.is_empty() || roles.is_empty() {
            return Ok(Outcome {
                status: StatusCode::BAD_REQUEST,
                note: Some(t.get("admin-missing")),
            });
        }
        let affiliation = match affiliation.parse() {
            Ok(a) => a,
            Err(why) => return Ok(refused(t, StatusCode::BAD_REQUEST, why)),
        };
        let language: Language = field(&form, "language").parse().unwrap_or_default();
        let password = app::generate_password();
        let account = Account {
            username: username.clone(),
            name,
            affiliation,
            roles,
            language,
            opened_on: time::OffsetDateTime::now_utc().date(),
        };
        match app::open(state.store.as_ref(), account, &password, &by).await {
            Ok(()) => Ok(Outcome {
                status: StatusCode::OK,
                note: Some(t.with(
                    "admin-opened",
                    &[("username", &username), ("password", &password)],
                )),
            }),
            Err(e) => refusal(t, e),
        }
    })
    .await
}

async fn roles(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    change(state, headers, form, |state, t, by, form| async move {
        let roles = match roles_of(&form) {
            Ok(r) => r,
            Err(why) => return Ok(refused(t, StatusCode::BAD_REQUEST, why)),
        };
        let now = time::OffsetDateTime::now_utc();
        match app::change_roles(state.store.as_ref(), &username, roles, &by, now).await {
            Ok(account) => {
                let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
                Ok(Outcome {
                    status: StatusCode::OK,
                    note: Some(t.with(
                        "admin-roles-changed",
                        &[("username", &username), ("roles", &roles.join(", "))],
                    )),
                })
            }
            Err(e) => refusal(t, e),
        }
    })
    .await
}

async fn close(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    change(state, headers, form, |state, t, by, _| async move {
        let now = time::OffsetDateTime::now_utc();
        match app::close(state.store.as_ref(), &username, &by, now).await {
            Ok(()) => Ok(Outcome {
                status: StatusCode::OK,
                note: Some(t.with("admin-closed", &[("username", &username)])),
            }),
            Err(e) => refusal(t, e),
        }
    })
    .await
}
