//! The console: server-rendered pages (askama templates compiled into the binary) in
//! Russian or English, behind a sign-in. A session is a cookie (HttpOnly, SameSite=Strict,
//! Secure when served over TLS) kept by the store only as SHA-256; every form carries a
//! CSRF token; failed sign-ins are rate-limited per account and client, and per client,
//! with back-off; no GET changes anything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use concord_core::accounts::{Account, Language};
use concord_store::ConsoleSession;
use concord_store::accounts as app;
use cookie::{Cookie, SameSite};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::{Messages, messages};
use crate::problem::Problem;

/// The session cookie.
pub const SESSION_COOKIE: &str = "concord_session";
/// The sign-in form's CSRF cookie (before there is a session).
const LOGIN_CSRF_COOKIE: &str = "concord_login_csrf";
/// The language preference.
const LANGUAGE_COOKIE: &str = "concord_lang";

/// Failed sign-ins an account may have within [`FAILURE_WINDOW`] before it must wait.
pub const MAX_FAILURES: usize = 5;
/// How many names the limiter tracks before it forgets the stale ones.
const MAX_TRACKED: usize = 10_000;
/// The window of [`MAX_FAILURES`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/language", axum::routing::post(language))
        // Forms are small: a sign-in or a language choice never needs more.
        .layer(axum::extract::DefaultBodyLimit::max(FORM_LIMIT))
}

/// The largest form body the console takes.
const FORM_LIMIT: usize = 16 * 1024;

/// The longest username Concord takes: longer ones are refused before anything keeps or
/// logs them.
pub const MAX_USERNAME: usize = 64;

/// Failed sign-ins, to slow down guessing without letting anyone lock an owner out:
/// counted per account **and** client (after [`MAX_FAILURES`] that client waits for that
/// account) and per client (after [`MAX_CLIENT_FAILURES`] for any names, it waits for all),
/// each wait doubling with every further failure up to [`FAILURE_WINDOW`]. Failures from
/// one client never make the owner wait at another.
#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<Counted, Vec<Instant>>>,
}

/// What failures are counted against: an account from a client, or a client for any name.
type Counted = (Option<String>, Option<std::net::IpAddr>);

/// Failed sign-ins one client may have, whatever the names, before it must wait.
pub const MAX_CLIENT_FAILURES: usize = 20;

impl SignInLimiter {
    /// How long `client` must still wait before trying `username` again, if at all.
    fn wait(&self, username: &str, client: Option<std::net::IpAddr>) -> Option<Duration> {
        let mut all = self.failures.lock().expect("never poisoned");
        [
            ((Some(username.to_owned()), client), MAX_FAILURES),
            ((None, client), MAX_CLIENT_FAILURES),
        ]
        .into_iter()
        .filter_map(|(key, allowed)| {
            let list = all.get_mut(&key)?;
            list.retain(|t| t.elapsed() < FAILURE_WINDOW);
            let over = list.len().checked_sub(allowed)?;
            // One minute after the failure that reached the limit, doubling with each
            // one past it, never more than the window.
            let wait = (Duration::from_secs(60) * 2u32.saturating_pow(over.min(10) as u32))
                .min(FAILURE_WINDOW);
            wait.checked_sub(list.last()?.elapsed())
        })
        .max()
    }

    fn failed(&self, username: &str, client: Option<std::net::IpAddr>) {
        let mut all = self.failures.lock().expect("never poisoned");
        // Guessing at many names must not grow this without bound: forget the failures
        // that no longer count.
        if all.len() >= MAX_TRACKED {
            all.retain(|_, list| list.last().is_some_and(|t| t.elapsed() < FAILURE_WINDOW));
        }
        for key in [(Some(username.to_owned()), client), (None, client)] {
            all.entry(key).or_default().push(Instant::now());
        }
    }

    fn succeeded(&self, username: &str, client: Option<std::net::IpAddr>) {
        self.failures
            .lock()
            .expect("never poisoned")
            .remove(&(Some(username.to_owned()), client));
    }
}

/// The address a request came from, when the server knows it.
pub struct Client(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Who is looking, and in which language.
pub(crate) struct Visitor {
    pub(crate) signed_in: Option<(ConsoleSession, Account)>,
    pub(crate) language: Language,
    cookie: Option<String>,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The session's account behind a request's cookie, if any.
pub(crate) async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(ConsoleSession, Account)>, Problem> {
    match cookie(headers, SESSION_COOKIE) {
        Some(value) => {
            Ok(app::session(state.store.as_ref(), value, time::OffsetDateTime::now_utc()).await?)
        }
        None => Ok(None),
    }
}

pub(crate) async fn visitor(state: &AppState, headers: &HeaderMap) -> Result<Visitor, Problem> {
    let signed_in = signed_in(state, headers).await?;
    let chosen = cookie(headers, LANGUAGE_COOKIE).and_then(|l| l.parse().ok());
    let accepted = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.trim_start().starts_with("en"))
        .map(|_| Language::En);
    let language = chosen
        .or(signed_in.as_ref().map(|(_, a)| a.language))
        .or(accepted)
        .unwrap_or_default();
    Ok(Visitor {
        signed_in,
        language,
        cookie: cookie(headers, SESSION_COOKIE).map(str::to_owned),
    })
}

/// Whether the request came over TLS (directly or through a proxy that says so).
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(
    name: &str,
    value: String,
    headers: &HeaderMap,
    max_age: Option<time::Duration>,
) -> HeaderValue {
    let mut c = Cookie::build((name.to_owned(), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(headers));
    if let Some(age) = max_age {
        c = c.max_age(age);
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookies are ASCII")
}

/// What every page shows around its content.
pub(crate) struct Chrome {
    pub(crate) lang: &'static str,
    pub(crate) title: String,
    pub(crate) console_name: String,
    pub(crate) nav_dashboard: String,
    pub(crate) nav: [String; 8],
    pub(crate) admin: Option<String>,
    pub(crate) sign_out: String,
    pub(crate) switch_label: String,
    pub(crate) switch_to: &'static str,
    pub(crate) who: Option<String>,
    pub(crate) csrf: String,
}

pub(crate) fn chrome(
    t: &Messages,
    title: String,
    signed_in: Option<&(ConsoleSession, Account)>,
) -> Chrome {
    Chrome {
        lang: t.language().tag(),
        title,
        console_name: t.get("console-name"),
        nav_dashboard: t.get("nav-dashboard"),
        nav: [
            "nav-map",
            "nav-alerts",
            "nav-registry",
            "nav-sessions",
            "nav-ledger",
            "nav-press",
            "nav-year",
            "nav-federation",
        ]
        .map(|id| t.get(id)),
        sign_out: t.get("nav-sign-out"),
        switch_label: t.get("language-switch"),
        switch_to: match t.language() {
            Language::Ru => "en",
            Language::En => "ru",
        },
        admin: signed_in
            .filter(|(_, a)| a.has(concord_core::accounts::Role::Administrator))
            .map(|_| t.get("nav-admin")),
        who: signed_in.map(|(_, a)| {
            t.with(
                "signed-in-as",
                &[
                    ("name", &a.name),
                    ("affiliation", &a.affiliation.to_string()),
                ],
            )
        }),
        csrf: signed_in.map(|(s, _)| s.csrf.clone()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    username: String,
    username_label: String,
    password_label: String,
    submit: String,
    error: Option<String>,
}

pub(crate) fn render(page: impl Template) -> Html<String> {
    Html(page.render().expect("templates render"))
}

/// The sign-in page, with a fresh CSRF token in a cookie and in the form.
fn login_form(
    t: &Messages,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
    username: String,
) -> Response {
    let (csrf, _) = concord_ledger::signature::generate_token("");
    let page = LoginPage {
        chrome: chrome(t, t.get("login-title"), None),
        csrf: csrf.clone(),
        username,
        username_label: t.get("login-username"),
        password_label: t.get("login-password"),
        submit: t.get("login-submit"),
        error,
    };
    let mut response = (status, render(page)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, csrf, headers, None),
    );
    response
}

/// `?expired` on the sign-in page: the session the visitor had has ended.
#[derive(Deserialize)]
struct LoginQuery {
    expired: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, Problem> {
    let v = visitor(&state, &headers).await?;
    if v.signed_in.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let t = messages(v.language);
    let note = q.expired.map(|_| t.get("session-expired"));
    Ok(login_form(t, &headers, StatusCode::OK, note, String::new()))
}

/// Where a signed-out visitor goes: the sign-in page, saying so if the session they had
/// has ended (expired, signed out elsewhere, account closed).
pub(crate) fn to_sign_in(v: &Visitor) -> Response {
    let path = if v.cookie.is_some() {
        "/login?expired"
    } else {
        "/login"
    };
    let mut response = Redirect::to(path).into_response();
    if v.cookie.is_some() {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "concord_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
            ),
        );
    }
    response
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, Problem> {
    let v = visitor(&state, &headers).await?;
    let t = messages(v.language);
    let username = form.username.trim().to_lowercase();
    if username.chars().count() > MAX_USERNAME {
        // No account has such a name: refused like a wrong password, and neither kept
        // nor logged.
        return Ok(login_form(
            t,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some(t.get("login-wrong")),
            String::new(),
        ));
    }
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected, &form.csrf) {
        return Ok(login_form(
            t,
            &headers,
            StatusCode::FORBIDDEN,
            Some(t.get("form-expired")),
            username,
        ));
    }
    if username.is_empty() || form.password.is_empty() {
        return Ok(login_form(
            t,
            &headers,
            StatusCode::BAD_REQUEST,
            Some(t.get("login-missing")),
            username,
        ));
    }
    if let Some(wait) = state.sign_in_limiter.wait(&username, client) {
        let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
        let message = t.with("login-throttled", &[("minutes", &minutes)]);
        return Ok(login_form(
            t,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some(message),
            username,
        ));
    }
    let now = time::OffsetDateTime::now_utc();
    let Some(done) = app::sign_in(state.store.as_ref(), &username, &form.password, now).await?
    else {
        state.sign_in_limiter.failed(&username, client);
        tracing::info!(username, "sign-in refused");
        return Ok(login_form(
            t,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some(t.get("login-wrong")),
            username,
        ));
    };
    state.sign_in_limiter.succeeded(&username, client);
    state.tail.wake();
    tracing::info!(username, "signed in");
    let mut response = Redirect::to("/").into_response();
    let age = time::Duration::hours(app::SESSION_HOURS);
    let jar = response.headers_mut();
    jar.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, done.cookie, &headers, Some(age)),
    );
    jar.append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_CSRF_COOKIE,
            String::new(),
            &headers,
            Some(time::Duration::ZERO),
        ),
    );
    Ok(response)
}

/// A form that only carries its CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Problem> {
    let v = visitor(&state, &headers).await?;
    let Some((session, _)) = &v.signed_in else {
        return Ok(Redirect::to("/login").into_response());
    };
    if !constant_time_eq(&session.csrf, &form.csrf) {
        let t = messages(v.language);
        return Ok((StatusCode::FORBIDDEN, Html(t.get("form-expired"))).into_response());
    }
    if let Some(value) = &v.cookie {
        app::sign_out(state.store.as_ref(), value).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            String::new(),
            &headers,
            Some(time::Duration::ZERO),
        ),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct LanguageChoice {
    to: String,
    #[serde(default)]
    csrf: String,
}

/// Switches the console's language (a POSTed form: no GET changes anything): for a
/// signed-in account, recorded as its choice (so it holds on any computer) when the form
/// carries the session's CSRF token; for anyone, kept in a preference cookie.
async fn language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(choice): Form<LanguageChoice>,
) -> Result<Response, Problem> {
    let Ok(language) = choice.to.parse::<Language>() else {
        return Ok((StatusCode::BAD_REQUEST, "ru or en").into_response());
    };
    if let Some((session, account)) = signed_in(&state, &headers).await? {
        if !constant_time_eq(&session.csrf, &choice.csrf) {
            let t = messages(account.language);
            return Ok((StatusCode::FORBIDDEN, Html(t.get("form-expired"))).into_response());
        }
        let now = time::OffsetDateTime::now_utc();
        match app::choose_language(state.store.as_ref(), &account.username, language, now).await {
            Ok(()) => state.tail.wake(),
            Err(app::AccountOpError::Store(e)) => return Err(e.into()),
            Err(e) => tracing::warn!(error = %e, "the language choice was not recorded"),
        }
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/language"))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANGUAGE_COOKIE,
            language.tag().to_owned(),
            &headers,
            Some(time::Duration::days(365)),
        ),
    );
    Ok(response)
}

/// Compares secrets in a time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    chair_heading: String,
    chair: String,
    next_heading: String,
    next_session: String,
    members_heading: String,
    members: Vec<(String, String)>,
    situations_heading: String,
    situations: Vec<String>,
    no_situations: String,
    alerts_heading: String,
    alerts: Vec<(String, String, String)>,
    no_alerts: String,
}

/// How many open situations the dashboard lists.
const DASHBOARD_LINES: i64 = 50;

/// Who chairs this year, the next session, the members' statuses today, the open
/// situations and the latest alerts the account may read.
async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let v = visitor(&state, &headers).await?;
    let Some(signed_in) = &v.signed_in else {
        return Ok(to_sign_in(&v));
    };
    let t = messages(v.language);
    let lang = t.language().tag();
    let store = state.store.as_ref();
    let now = time::OffsetDateTime::now_utc();
    let today = now.date();
    let year = today.year();
    let timeline = state.charter.timeline(store.status_records().await?);
    let reader = signed_in.1.reader(&timeline, today);

    let chair = concord_store::queries::chairmanships(store, &state.charter, year, year)
        .await
        .ok()
        .and_then(|c| c.into_iter().next())
        .map(|c| c.member_name.get(lang).to_owned())
        .unwrap_or_else(|| t.with("dashboard-chair-none", &[("year", &year.to_string())]));
    // The next session: the earliest one on or after today (a session announced for a
    // past year and never recorded as held is not "next").
    let mut upcoming = Vec::new();
    for s in concord_store::queries::sessions(store, &Default::default()).await? {
        if crate::press::first_day(s.date) >= today
            && concord_store::access::may_read_session(
                store,
                &reader,
                &state.charter.sharing_groups,
                s.id.as_str(),
            )
            .await?
        {
            upcoming.push(s);
        }
    }
    let next_session = upcoming
        .into_iter()
        .min_by_key(|s| crate::press::first_day(s.date))
        .map(|s| {
            let body = state
                .charter
                .body(&s.body)
                .map_or_else(|| s.body.to_string(), |b| b.name.get(lang).to_owned());
            match s.city.as_ref() {
                Some(city) => format!("{} — {body}, {}", s.date, city.get(lang)),
                None => format!("{} — {body}", s.date),
            }
        })
        .unwrap_or_else(|| t.get("dashboard-no-session"));
    let members = concord_store::queries::members(store, &state.charter, today)
        .await?
        .into_iter()
        .map(|m| {
            let status = m.status.map(|s| t.status(s)).unwrap_or_default();
            (m.name.get(lang).to_owned(), status)
        })
        .collect();
    let mut situations = Vec::new();
    if concord_store::access::reads_confidential(&reader, &state.charter.sharing_groups) {
        for s in store.situation_summaries(None, DASHBOARD_LINES).await? {
            let title: concord_core::text::Text =
                concord_store::StoreError::decode("situation's title", &s.title)?;
            let level = t.get(&format!("level-{}", s.level));
            situations.push(format!(
                "{} — {}",
                title.get(lang),
                t.with("level", &[("level", &level)])
            ));
        }
    }
    let alerts = concord_store::alerts::summaries(
        store,
        &reader,
        &state.charter.sharing_groups,
        &concord_store::alerts::AlertPage {
            limit: 10,
            ..Default::default()
        },
    )
    .await?
    .iter()
    .map(crate::pages::alert_line)
    .collect();
    let page = DashboardPage {
        chrome: chrome(t, t.get("dashboard-title"), Some(signed_in)),
        chair_heading: t.with("dashboard-chair", &[("year", &year.to_string())]),
        chair,
        next_heading: t.get("dashboard-next-session"),
        next_session,
        members_heading: t.get("dashboard-members"),
        members,
        situations_heading: t.get("dashboard-situations"),
        situations,
        no_situations: t.get("dashboard-no-situations"),
        alerts_heading: t.get("dashboard-alerts"),
        alerts,
        no_alerts: t.get("dashboard-no-alerts"),
    };
    Ok(render(page).into_response())
}
