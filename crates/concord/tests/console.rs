//! The console as a browser meets it, over HTTP: sign in (with the CSRF token of the
//! form), a session cookie that reads as the account on the pages and on the API, Russian
//! or English, sign out; wrong passwords, missing tokens and missing fields refused in the
//! visitor's language; guessing slowed down; every sign-in and change of rights on the
//! ledger, and no password in it.

mod common;

use common::{Delegations, TestDatabase, TestServer, call, post_json, sign_in};
use concord_core::accounts::{Language, Role};
use serde_json::json;

use common::open_account;

#[test]
fn sign_in_read_as_the_account_switch_language_and_sign_out() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        open_account(&db, "kz.duty", "KAZ", &[Role::DutyOfficer], Language::En);
        let events = || server.get("/healthz").json["events"].as_u64().unwrap();

        // Signed out: the dashboard sends to the sign-in page, in Russian by default.
        let page = call("GET", &server.url("/"), &[], &[], None);
        assert_eq!(
            (page.status, page.location.as_deref()),
            (303, Some("/login"))
        );
        let login = call("GET", &server.url("/login"), &[], &[], None);
        assert_eq!(login.status, 200);
        assert!(login.body.contains("Вход в Конкорд"), "{}", login.body);
        assert!(login.body.contains("<html lang=\"ru\">"));
        let english = call(
            "GET",
            &server.url("/login"),
            &[],
            &[("accept-language", "en-GB,en;q=0.9")],
            None,
        );
        assert!(english.body.contains("Sign in to Concord"));

        // Refusals, in the visitor's language; nothing recorded.
        let before = events();
        let csrf_cookie = login.cookie("concord_login_csrf").unwrap();
        let no_token = call(
            "POST",
            &server.url("/login"),
            &[("concord_login_csrf", &csrf_cookie)],
            &[],
            Some(&[
                ("username", "kz.duty"),
                ("password", "correct horse battery"),
            ]),
        );
        assert_eq!(no_token.status, 403);
        assert!(
            no_token.body.contains("Срок действия формы истёк"),
            "{}",
            no_token.body
        );
        assert!(no_token.cookie("concord_session").is_none());
        let wrong = sign_in(&server, "kz.duty", "not the password");
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("Неверное имя пользователя или пароль"));
        let unknown = sign_in(&server, "nobody", "correct horse battery");
        assert_eq!(
            unknown.status, 401,
            "an unknown account answers as a wrong password"
        );
        let missing = sign_in(&server, "kz.duty", "");
        assert_eq!(missing.status, 400);
        assert!(missing.body.contains("Введите имя пользователя и пароль"));
        assert_eq!(events(), before);

        // Signed in: a cookie the page's scripts cannot read, kept by the server only as a hash.
        let done = sign_in(&server, "kz.duty", "correct horse battery");
        assert_eq!(
            (done.status, done.location.as_deref()),
            (303, Some("/")),
            "{done:?}"
        );
        let set = done
            .cookies
            .iter()
            .find(|c| c.starts_with("concord_session="))
            .unwrap();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(attribute), "{set}");
        }
        assert!(!set.contains("Secure"), "plain HTTP: {set}");
        let session = done.cookie("concord_session").unwrap();
        assert!(session.starts_with("ccs_"));
        assert_eq!(events(), before + 1, "the sign-in is on the ledger");
        let over_tls = {
            let form = call(
                "GET",
                &server.url("/login"),
                &[],
                &[("x-forwarded-proto", "https")],
                None,
            );
            assert!(form.cookies[0].contains("Secure"), "{:?}", form.cookies);
            form
        };
        assert_eq!(over_tls.status, 200);

        // The dashboard, in the account's language.
        let dashboard = call(
            "GET",
            &server.url("/"),
            &[("concord_session", &session)],
            &[],
            None,
        );
        assert_eq!(dashboard.status, 200);
        assert!(dashboard.body.contains("<html lang=\"en\">"));
        let year = time::OffsetDateTime::now_utc().year();
        let chair = format!("Chairmanship {year}");
        for text in [
            chair.as_str(),
            "Member states today",
            "participation frozen",
            "kz.duty (test) (KAZ)",
        ] {
            assert!(dashboard.body.contains(text), "{text}: {}", dashboard.body);
        }
        // The demo's sessions are all past: none is "next" (the 2019 ones announced and
        // never recorded as held included).
        assert!(
            dashboard.body.contains("No session is planned."),
            "{}",
            dashboard.body
        );

        // The session reads as the account on the API too.
        let report = json!({
            "id": "tjk-c-1", "version": 1, "reporter": "TJK", "domain": "drug-trafficking",
            "occurred_at": "2026-11-20T03:40:00Z", "place": {"type": "Point", "coordinates": [68.6, 37.3]},
            "country": "TJK", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
            "title": "For members only", "text": "…", "releasability": {"to": "members"}
        });
        let command = concord_core::council::Command::ReportIncident(Box::new(
            serde_json::from_value(report).unwrap(),
        ));
        assert_eq!(
            post_json(
                &server.url("/api/v1/incidents"),
                &delegations.sign("TJK", command)
            )
            .status,
            201
        );
        let as_kaz = call(
            "GET",
            &server.url("/api/v1/incidents"),
            &[("concord_session", &session)],
            &[],
            None,
        );
        assert!(as_kaz.body.contains("For members only"), "{}", as_kaz.body);
        assert!(
            !server
                .get("/api/v1/incidents")
                .text
                .contains("For members only")
        );

        // Switch to Russian: never by a GET (nothing changes), nor by a form without the
        // session's CSRF token; then the preference holds over the account's.
        let get = call(
            "GET",
            &server.url("/language?to=ru"),
            &[("concord_session", &session)],
            &[],
            None,
        );
        assert_eq!(get.status, 405, "{get:?}");
        let forged = call(
            "POST",
            &server.url("/language"),
            &[("concord_session", &session)],
            &[("referer", &server.url("/"))],
            Some(&[("to", "ru")]),
        );
        assert_eq!(forged.status, 403, "{forged:?}");
        let page = call(
            "GET",
            &server.url("/"),
            &[("concord_session", &session)],
            &[],
            None,
        );
        let switch = call(
            "POST",
            &server.url("/language"),
            &[("concord_session", &session)],
            &[("referer", &server.url("/"))],
            Some(&[("to", "ru"), ("csrf", &page.csrf())]),
        );
        assert_eq!(
            (switch.status, switch.location.as_deref()),
            (303, Some("/"))
        );
        let lang = switch.cookie("concord_lang").unwrap();
        let russian = call(
            "GET",
            &server.url("/"),
            &[("concord_session", &session), ("concord_lang", &lang)],
            &[],
            None,
        );
        assert!(
            russian.body.contains(&format!("Председательство {year}")),
            "{}",
            russian.body
        );
        assert!(russian.body.contains("участие заморожено"));

        // The choice is the account's: signing in on another computer reads Russian too.
        let elsewhere = sign_in(&server, "kz.duty", "correct horse battery")
            .cookie("concord_session")
            .unwrap();
        let again = call(
            "GET",
            &server.url("/"),
            &[("concord_session", &elsewhere)],
            &[],
            None,
        );
        assert!(again.body.contains("<html lang=\"ru\">"), "{}", again.body);

        // Sign out: only with the session's CSRF token; then the cookie is dead.
        let forged = call(
            "POST",
            &server.url("/logout"),
            &[("concord_session", &session)],
            &[],
            Some(&[("csrf", "forged")]),
        );
        assert_eq!(forged.status, 403);
        let out = call(
            "POST",
            &server.url("/logout"),
            &[("concord_session", &session)],
            &[],
            Some(&[("csrf", &dashboard.csrf())]),
        );
        assert_eq!((out.status, out.location.as_deref()), (303, Some("/login")));
        let after = call(
            "GET",
            &server.url("/"),
            &[("concord_session", &session)],
            &[],
            None,
        );
        assert_eq!(after.location.as_deref(), Some("/login?expired"));
        let told = call(
            "GET",
            &server.url("/login?expired"),
            &[],
            &[("accept-language", "en")],
            None,
        );
        assert!(
            told.body
                .contains("Your session has ended. Please sign in again."),
            "{}",
            told.body
        );
        assert!(
            !call(
                "GET",
                &server.url("/api/v1/incidents"),
                &[("concord_session", &session)],
                &[],
                None
            )
            .body
            .contains("For members only")
        );
    }
}

#[test]
fn guessing_is_slowed_and_closing_an_account_ends_its_sessions() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        open_account(
            &db,
            "by.analyst",
            "BLR",
            &[Role::CrisisCentreAnalyst],
            Language::Ru,
        );
        let session = sign_in(&server, "by.analyst", "correct horse battery")
            .cookie("concord_session")
            .unwrap();
        for _ in 0..concord_server::console::MAX_FAILURES {
            assert_eq!(sign_in(&server, "by.analyst", "guess").status, 401);
        }
        let form = call(
            "GET",
            &server.url("/login"),
            &[],
            &[("accept-language", "en")],
            None,
        );
        let throttled = call(
            "POST",
            &server.url("/login"),
            &[(
                "concord_login_csrf",
                &form.cookie("concord_login_csrf").unwrap(),
            )],
            &[("accept-language", "en")],
            Some(&[
                ("username", "by.analyst"),
                ("password", "correct horse battery"),
                ("csrf", &form.csrf()),
            ]),
        );
        assert_eq!(throttled.status, 429, "even the right password waits");
        assert!(
            throttled
                .body
                .contains("Too many failed sign-ins from this computer. Try again in 1 min."),
            "{}",
            throttled.body
        );

        // Closing the account ends the session it had.
        assert_eq!(
            call(
                "GET",
                &server.url("/"),
                &[("concord_session", &session)],
                &[],
                None
            )
            .status,
            200
        );
        let url = db.url.clone();
        common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            concord_store::accounts::close(
                store.as_ref(),
                "by.analyst",
                "operator",
                time::OffsetDateTime::now_utc(),
            )
            .await
            .unwrap();
        });
        assert_eq!(
            call(
                "GET",
                &server.url("/"),
                &[("concord_session", &session)],
                &[],
                None
            )
            .location
            .as_deref(),
            Some("/login?expired")
        );
    }
}

/// `concord serve` on a new database opens the administrator's account and prints its
/// password once; it signs in with it; the next start prints none.
#[test]
fn the_first_start_prints_the_administrators_password_once() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    for db in TestDatabase::all() {
        let dir = tempfile::tempdir().unwrap();
        // On a port already taken, serve fails before it opens any account: the
        // administrator's password is not lost, it is given at the next start.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let busy = Command::new(env!("CARGO_BIN_EXE_concord"))
            .args(["--database", &db.url, "serve", "--listen"])
            .arg(taken.local_addr().unwrap().to_string())
            .arg("--log-key")
            .arg(dir.path().join("log.key"))
            .env("CONCORD_LOG", "warn")
            .env_remove("CONCORD_DATABASE")
            .output()
            .unwrap();
        assert!(!busy.status.success());
        let said = String::from_utf8_lossy(&busy.stdout);
        assert!(!said.contains("password"), "{said}");
        drop(taken);
        let start = || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
                .args([
                    "--database",
                    &db.url,
                    "serve",
                    "--listen",
                    "127.0.0.1:0",
                    "--log-key",
                ])
                .arg(dir.path().join("log.key"))
                .env("CONCORD_LOG", "warn")
                .env_remove("CONCORD_DATABASE")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut reader = BufReader::new(child.stdout.take().unwrap());
            let mut lines = Vec::new();
            // Up to the hint after the address line, and the administrator's lines if any.
            while lines
                .iter()
                .filter(|l: &&String| l.contains("try: curl"))
                .count()
                == 0
            {
                let mut line = String::new();
                assert!(reader.read_line(&mut line).unwrap() > 0, "{lines:?}");
                lines.push(line);
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in reader.lines() {
                    let Ok(line) = line else { return };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
            while let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
                lines.push(line);
            }
            (child, lines)
        };
        let (mut first, lines) = start();
        let all = lines.join("\n");
        let address = all
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap()
            .trim_end_matches('/')
            .to_owned();
        let password = all
            .split("as `admin` with password ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no administrator's password in {all}"))
            .to_owned();
        assert_eq!(password.len(), 20);
        let form = call("GET", &format!("{address}/login"), &[], &[], None);
        let done = call(
            "POST",
            &format!("{address}/login"),
            &[(
                "concord_login_csrf",
                &form.cookie("concord_login_csrf").unwrap(),
            )],
            &[],
            Some(&[
                ("username", "admin"),
                ("password", &password),
                ("csrf", &form.csrf()),
            ]),
        );
        assert_eq!(done.status, 303, "{done:?}");
        first.kill().unwrap();
        first.wait().unwrap();

        let (mut second, lines) = start();
        assert!(!lines.join("\n").contains("password"), "{lines:?}");
        second.kill().unwrap();
        second.wait().unwrap();
    }
}

/// Every page of the console, in both languages, shows only what the account may read.
#[test]
fn every_page_reads_as_the_account() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        open_account(&db, "by.duty", "BLR", &[Role::DutyOfficer], Language::Ru);
        open_account(
            &db,
            "crc.officer",
            "secretariat",
            &[Role::SecretariatOfficer],
            Language::En,
        );
        let delegations = Delegations::register(&db);
        // KAZ reports for itself only.
        let report = json!({
            "id": "kaz-own-1", "version": 1, "reporter": "KAZ", "domain": "drug-trafficking",
            "occurred_at": "2026-11-20T03:40:00Z", "place": {"type": "Point", "coordinates": [71.4, 51.1]},
            "country": "KAZ", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
            "title": "Kazakhstan's own report", "text": "…", "releasability": {"to": "originator"}
        });
        let command = concord_core::council::Command::ReportIncident(Box::new(
            serde_json::from_value(report).unwrap(),
        ));
        assert_eq!(
            post_json(
                &server.url("/api/v1/incidents"),
                &delegations.sign("KAZ", command)
            )
            .status,
            201
        );

        let by = sign_in(&server, "by.duty", "correct horse battery")
            .cookie("concord_session")
            .unwrap();
        let crc = sign_in(&server, "crc.officer", "correct horse battery")
            .cookie("concord_session")
            .unwrap();
        let get = |session: &str, path: &str| {
            let page = call(
                "GET",
                &server.url(path),
                &[("concord_session", session)],
                &[],
                None,
            );
            assert_eq!(page.status, 200, "{path}: {page:?}");
            page.body
        };
        let map = get(&by, "/map");
        assert!(
            map.contains("Карта обстановки") && map.contains("\"643\""),
            "{map}"
        );
        assert!(
            !map.contains("Kazakhstan's own report"),
            "originator-only report on another's map"
        );
        assert!(get(&by, "/alerts").contains("id=\"live\""));
        let registry = get(&by, "/registry");
        assert!(registry.contains("Реестр") && registry.contains("участие заморожено"));
        let sessions = get(&crc, "/sessions");
        assert!(sessions.contains("Sessions and documents"), "{sessions}");
        let adopted = server
            .get("/api/v1/documents")
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["status"] == "adopted")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let document = get(&crc, &format!("/documents/{adopted}"));
        assert!(
            document.contains("agrees") && document.contains("signed by"),
            "{document}"
        );
        let ledger = get(&by, "/ledger");
        assert!(
            ledger.contains("withheld") || ledger.contains("скрыто"),
            "{ledger}"
        );
        assert!(
            ledger.contains("— ") && ledger.contains("csto"),
            "the signed checkpoint: {ledger}"
        );
        // Assets are served from the binary.
        for asset in [
            "/assets/vendor/leaflet-1.9.4/leaflet.js",
            "/assets/vendor/world-atlas-2.0.2/countries-50m.json",
            "/assets/vendor/topojson-client-3.1.0/topojson-client.min.js",
            "/assets/console.js",
        ] {
            assert_eq!(server.get(asset).status, 200, "{asset}");
        }
        assert_eq!(server.get("/assets/../Cargo.toml").status, 404);
        // Signed out, every page sends to the sign-in.
        for path in ["/map", "/alerts", "/registry", "/sessions", "/ledger"] {
            let page = call("GET", &server.url(path), &[], &[], None);
            assert_eq!(page.location.as_deref(), Some("/login"), "{path}");
        }
    }
}

/// An administrator opens an account, changes its roles and closes it from the console;
/// the ledger names the administrator; someone without the right is told so; a form
/// without its token or with fields missing changes nothing.
#[test]
fn an_administrator_manages_accounts_in_the_console() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        open_account(
            &db,
            "chief.admin",
            "secretariat",
            &[Role::Administrator],
            Language::En,
        );
        open_account(&db, "kz.duty", "KAZ", &[Role::DutyOfficer], Language::Ru);
        let admin = sign_in(&server, "chief.admin", "correct horse battery")
            .cookie("concord_session")
            .unwrap();
        let duty = sign_in(&server, "kz.duty", "correct horse battery")
            .cookie("concord_session")
            .unwrap();
        let events = || server.get("/healthz").json["events"].as_u64().unwrap();

        // Without the right: a clear message in the account's language, nothing shown.
        let denied = call(
            "GET",
            &server.url("/admin/accounts"),
            &[("concord_session", &duty)],
            &[],
            None,
        );
        assert_eq!(denied.status, 403);
        assert!(
            denied.body.contains(
                "У вашей учётной записи нет права на это действие (нужна роль: administrator)"
            ),
            "{}",
            denied.body
        );
        assert!(!denied.body.contains("chief.admin"));

        let page = call(
            "GET",
            &server.url("/admin/accounts"),
            &[("concord_session", &admin)],
            &[],
            None,
        );
        assert_eq!(page.status, 200);
        assert!(page.body.contains("kz.duty") && page.body.contains("id=\"nav-admin\""));
        let csrf = page.csrf();
        let before = events();
        let post = |session: &str, path: &str, form: &[(&str, &str)]| {
            call(
                "POST",
                &server.url(path),
                &[("concord_session", session)],
                &[],
                Some(form),
            )
        };
        // Refusals change nothing.
        let forged = post(
            &admin,
            "/admin/accounts",
            &[
                ("csrf", "nope"),
                ("username", "x.y"),
                ("name", "X"),
                ("affiliation", "KAZ"),
                ("role", "duty-officer"),
            ],
        );
        assert_eq!(forged.status, 403);
        assert!(forged.body.contains("This form has expired"));
        let missing = post(
            &admin,
            "/admin/accounts",
            &[("csrf", &csrf), ("username", "x.y")],
        );
        assert_eq!(missing.status, 400);
        assert!(
            missing
                .body
                .contains("Fill in the username, the name, the affiliation and at least one role.")
        );
        let misfit = post(
            &admin,
            "/admin/accounts",
            &[
                ("csrf", &csrf),
                ("username", "x.y"),
                ("name", "X"),
                ("affiliation", "KAZ"),
                ("role", "administrator"),
            ],
        );
        assert_eq!(misfit.status, 400);
        assert!(
            misfit
                .body
                .contains("the role administrator does not belong to KAZ"),
            "{}",
            misfit.body
        );
        let not_admin = post(
            &duty,
            "/admin/accounts",
            &[
                (
                    "csrf",
                    &call(
                        "GET",
                        &server.url("/"),
                        &[("concord_session", &duty)],
                        &[],
                        None,
                    )
                    .csrf(),
                ),
                ("username", "x.y"),
                ("name", "X"),
                ("affiliation", "KAZ"),
                ("role", "duty-officer"),
            ],
        );
        assert_eq!(not_admin.status, 403);
        assert_eq!(events(), before);

        // Open, change, close.
        let opened = post(
            &admin,
            "/admin/accounts",
            &[
                ("csrf", &csrf),
                ("username", "tj.analyst"),
                ("name", "Analyst, TJK"),
                ("affiliation", "TJK"),
                ("language", "en"),
                ("role", "crisis-centre-analyst"),
            ],
        );
        assert_eq!(opened.status, 200, "{}", opened.body);
        let password = opened.body.split("shown this once: ").nth(1).unwrap()[..20].to_owned();
        assert_eq!(
            sign_in(&server, "tj.analyst", &password).status,
            303,
            "the new account signs in"
        );
        let changed = post(
            &admin,
            "/admin/accounts/tj.analyst/roles",
            &[
                ("csrf", &csrf),
                ("role", "crisis-centre-analyst"),
                ("role", "duty-officer"),
            ],
        );
        assert!(
            changed
                .body
                .contains("tj.analyst now has the roles: duty-officer, crisis-centre-analyst")
                || changed
                    .body
                    .contains("tj.analyst now has the roles: crisis-centre-analyst, duty-officer"),
            "{}",
            changed.body
        );
        let closed = post(
            &admin,
            "/admin/accounts/tj.analyst/close",
            &[("csrf", &csrf)],
        );
        assert!(closed.body.contains("Account tj.analyst closed."));
        assert_eq!(
            sign_in(&server, "tj.analyst", &password).status,
            401,
            "a closed account signs in no more"
        );

        // On the ledger, by the administrator (the secretariat reads it).
        let url = db.url.clone();
        let bodies = common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            let size = store.ledger_size().await.unwrap();
            store.ledger_entries(0, size).await.unwrap().join("\n")
        });
        for change in ["\"opened\"", "roles-changed", "\"closed\""] {
            assert!(
                bodies
                    .lines()
                    .any(|l| l.contains(change) && l.contains("\"by\":\"chief.admin\"")),
                "{change}"
            );
        }
    }
}
