//! What the integration tests share: a fresh database on each backend, an in-process
//! server, and a plain HTTP client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use concord_server::AppState;
use concord_store::init::init;
use serde_json::Value;
use sqlx::Connection;

/// A fresh, empty database for one test, dropped when the test ends (even on panic).
pub struct TestDatabase {
    /// Address to open it by.
    pub url: String,
    /// `sqlite` or `postgres`, for messages.
    pub backend: &'static str,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

fn postgres_admin_url() -> String {
    std::env::var("CONCORD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

impl TestDatabase {
    /// A new SQLite file in a temporary directory.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().unwrap();
        TestDatabase {
            url: format!("sqlite://{}", dir.path().join("concord.db").display()),
            backend: "sqlite",
            postgres: None,
            _dir: Some(dir),
        }
    }

    /// A new PostgreSQL database on the test server; `None` (with a message) when the
    /// server is unreachable outside CI. In CI an unreachable server fails the test.
    pub fn postgres() -> Option<TestDatabase> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let admin = postgres_admin_url();
        let name = format!(
            "concord_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000
        );
        let created = runtime().block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            conn.close().await
        });
        if let Err(e) = created {
            if in_ci() {
                panic!("PostgreSQL at {admin} is required in CI and cannot be used: {e}");
            }
            // Straight to stderr: the test harness captures `eprintln!` of passing tests.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPING the PostgreSQL half of this test: {admin} is unreachable ({e}); set CONCORD_TEST_POSTGRES"
            );
            return None;
        }
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_owned();
        Some(TestDatabase {
            url: format!("{base}/{name}"),
            backend: "postgres",
            postgres: Some((admin, name)),
            _dir: None,
        })
    }

    /// One fresh database on every backend that can be reached.
    pub fn all() -> Vec<TestDatabase> {
        let mut all = vec![TestDatabase::sqlite()];
        all.extend(TestDatabase::postgres());
        all
    }

    /// Opens the store, initialised with the built-in demo data.
    pub async fn demo_store(&self) -> std::sync::Arc<dyn concord_store::Store> {
        let store = concord::database::open(&self.url).await.unwrap();
        init(store.as_ref(), &concord::demo::files()).await.unwrap();
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop may run inside a runtime: do the async cleanup on a thread of its own.
            let _ = std::thread::spawn(move || {
                runtime().block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                })
            })
            .join();
        }
    }
}

/// A Concord server running in this process on a free port, stopped when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server over `db`, initialised with the demo data.
    pub fn start(db: &TestDatabase) -> TestServer {
        let url = db.url.clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move {
                    let store = concord::database::open(&url).await.unwrap();
                    init(store.as_ref(), &concord::demo::files()).await.unwrap();
                    let deployment = concord_store::council::Deployment::read(store.as_ref())
                        .await
                        .unwrap();
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    addr_tx.send(listener.local_addr().unwrap()).unwrap();
                    let (log_key, _) =
                        concord_ledger::checkpoint::LogKey::generate(&deployment.origin).unwrap();
                    let state = AppState::new(store, deployment, log_key);
                    concord_server::serve(listener, state, async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
                });
        });
        let addr = addr_rx.recv().expect("the test server starts");
        TestServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET `path`: status, content type and JSON body.
    pub fn get(&self, path: &str) -> Reply {
        request("GET", &self.url(path))
    }

    /// GET `path` as the token's holder, or as the public without one.
    pub fn read(&self, token: Option<&str>, path: &str) -> Reply {
        match token {
            Some(t) => self.get_as(t, path),
            None => self.get(path),
        }
    }

    /// GET `path` with `Authorization: Bearer <token>`.
    pub fn get_as(&self, token: &str, path: &str) -> Reply {
        get_as(&self.url(path), token)
    }
}

/// GET `url` with `Authorization: Bearer <token>`.
pub fn get_as(url: &str, token: &str) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(url)
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    reply(response)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Content-Type header.
    pub content_type: String,
    /// Body parsed as JSON (`Null` if it is not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
    /// The body's bytes.
    pub bytes: Vec<u8>,
    /// The `Link` header, if any (`<…>; rel="next"`).
    pub link: Option<String>,
}

impl Reply {
    /// Asserts an RFC 9457 problem with this status, and returns its detail.
    pub fn problem(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.content_type, "application/problem+json", "{self:?}");
        assert_eq!(self.json["status"], status, "{self:?}");
        assert!(
            self.json["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("/problems/")),
            "{self:?}"
        );
        assert!(self.json["title"].is_string(), "{self:?}");
        self.json["detail"]
            .as_str()
            .expect("problems have a detail")
            .to_owned()
    }
}

/// Sends a request with no body, whatever the answer's status.
pub fn request(method: &str, url: &str) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let response = match method {
        "GET" => agent.get(url).call(),
        "POST" => agent.post(url).send_empty(),
        "DELETE" => agent.delete(url).call(),
        other => panic!("unsupported method {other}"),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    reply(response)
}

/// Reads an answer whatever its status.
fn reply(mut response: ureq::http::Response<ureq::Body>) -> Reply {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let link = response
        .headers()
        .get("link")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response.body_mut().read_to_vec().unwrap();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Reply {
        status: response.status().as_u16(),
        content_type,
        json: serde_json::from_str(&body).unwrap_or(Value::Null),
        text: body,
        bytes,
        link,
    }
}

/// Sends a JSON body with POST, whatever the answer's status.
pub fn post_json(url: &str, body: &Value) -> Reply {
    try_post_json(url, body).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// Sends a JSON body with POST: the answer, whatever its status, or why there was none
/// (the server gone).
pub fn try_post_json(url: &str, body: &Value) -> Result<Reply, ureq::Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .post(url)
        .header("content-type", "application/json")
        .send(serde_json::to_vec(body).unwrap())?;
    Ok(reply(response))
}

/// Runs a future to completion on a runtime of its own.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    runtime().block_on(f)
}

/// Keys generated and registered for the secretariat and every member, valid from today,
/// and a way to sign commands with them for the test database's deployment.
pub struct Delegations {
    keys: Vec<(
        concord_core::keys::KeyOwner,
        concord_ledger::signature::SecretKey,
    )>,
    /// The ledger's origin every seal names.
    pub origin: String,
}

impl Delegations {
    /// Generates and registers keys for the secretariat and every member, valid from today.
    pub fn register(db: &TestDatabase) -> Delegations {
        Delegations::register_from(db, time::OffsetDateTime::now_utc().date())
    }

    /// Generates and registers keys for the secretariat and every member, valid from
    /// `today` (which may lie in the past).
    pub fn register_from(db: &TestDatabase, today: time::Date) -> Delegations {
        let mut keys = vec![];
        let origin = block_on(async {
            let store = concord::database::open(&db.url).await.unwrap();
            for owner in ["secretariat", "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"] {
                let owner: concord_core::keys::KeyOwner = owner.parse().unwrap();
                let secret = concord_ledger::signature::SecretKey::generate();
                concord_store::council::register_key(
                    store.as_ref(),
                    concord_core::keys::KeyRegistration {
                        key_id: secret.public().key_id(),
                        owner,
                        public_key: secret.public().to_b64(),
                        valid_from: today,
                        valid_until: None,
                        demo: false,
                    },
                )
                .await
                .unwrap();
                keys.push((owner, secret));
            }
            concord_store::queries::origin(store.as_ref())
                .await
                .unwrap()
        });
        Delegations { keys, origin }
    }

    /// The key file of `owner`'s key, as `concord keys generate` writes it.
    pub fn key_file(&self, owner: &str) -> String {
        let who: concord_core::keys::KeyOwner = owner.parse().unwrap();
        let secret = &self.keys.iter().find(|(o, _)| *o == who).unwrap().1;
        secret.to_file_text(owner)
    }

    /// `command` signed by `owner`'s key now, for this deployment, with a fresh nonce.
    pub fn sign(&self, owner: &str, command: concord_core::council::Command) -> Value {
        self.sign_at(owner, command, time::OffsetDateTime::now_utc())
    }

    /// `command` signed by `owner`'s key, claiming to be issued at `issued_at`.
    pub fn sign_at(
        &self,
        owner: &str,
        command: concord_core::council::Command,
        issued_at: time::OffsetDateTime,
    ) -> Value {
        serde_json::to_value(concord_core::council::SignedCommand::sign(
            self.secret(owner),
            &self.origin,
            command,
            issued_at,
        ))
        .unwrap()
    }

    /// Registers, as the operator would, another key for `owner` valid from `from` (the
    /// current one's period ends the day before), and returns its secret.
    pub fn register_another(
        db: &TestDatabase,
        owner: &str,
        from: time::Date,
    ) -> concord_ledger::signature::SecretKey {
        let secret = concord_ledger::signature::SecretKey::generate();
        let registration = concord_core::keys::KeyRegistration {
            key_id: secret.public().key_id(),
            owner: owner.parse().unwrap(),
            public_key: secret.public().to_b64(),
            valid_from: from,
            valid_until: None,
            demo: false,
        };
        let url = db.url.clone();
        block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            concord_store::council::register_key(store.as_ref(), registration)
                .await
                .unwrap();
        });
        secret
    }

    /// `owner`'s secret key.
    pub fn secret(&self, owner: &str) -> &concord_ledger::signature::SecretKey {
        let owner: concord_core::keys::KeyOwner = owner.parse().unwrap();
        &self.keys.iter().find(|(o, _)| *o == owner).unwrap().1
    }
}

/// Validates a CAP message against the official CAP 1.2 schema with xmllint; `None` when
/// xmllint is missing outside CI (CI fails instead).
pub fn cap_schema_errors(xml: &str) -> Option<Result<(), String>> {
    if std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "xmllint is missing (apt-get install libxml2-utils); CI does not skip schema checks"
        );
        eprintln!("skipped the schema check: xmllint is not installed");
        return None;
    }
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../concord-cap/tests/schema/CAP-v1.2.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alert.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(&file)
        .output()
        .unwrap();
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

/// A CAP sample of the concord-cap crate (real feed messages; see its samples/README.md).
pub fn cap_sample(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../concord-cap/tests/samples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Opens the live stream with a bearer token; (id, kind) pairs arrive on the channel.
pub fn watch(server: &TestServer, token: &str) -> std::sync::mpsc::Receiver<(u64, String)> {
    use std::io::{BufRead, BufReader};
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let response = agent
        .get(&server.url("/api/v1/stream"))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut id = None;
        for line in BufReader::new(response.into_body().into_reader()).lines() {
            let Ok(line) = line else { return };
            if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse::<u64>().ok();
            } else if let Some(v) = line.strip_prefix("event:")
                && let Some(i) = id.take()
                && tx.send((i, v.trim().to_owned())).is_err()
            {
                return;
            }
        }
    });
    rx
}

/// A duty officer's API token for each holder (a state's code, or `secretariat` for a
/// secretariat officer of the crisis-response centre), in order.
pub fn duty_officer_tokens(db: &TestDatabase, holders: &[&str]) -> Vec<String> {
    holders
        .iter()
        .map(|h| {
            let role = if *h == "secretariat" {
                "secretariat-officer"
            } else {
                "duty-officer"
            };
            tokens(db, role, &[h]).remove(0)
        })
        .collect()
}

/// An API token in `role` for each holder (a state's code or `secretariat`), in order.
pub fn tokens(db: &TestDatabase, role: &str, holders: &[&str]) -> Vec<String> {
    let url = db.url.clone();
    let role = role.to_owned();
    let holders: Vec<String> = holders.iter().map(|h| (*h).to_owned()).collect();
    block_on(async move {
        let store = concord::database::open(&url).await.unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        let mut tokens = vec![];
        for holder in holders {
            let (token, _) = concord_store::council::issue_token(
                store.as_ref(),
                holder.parse().unwrap(),
                role.parse().unwrap(),
                None,
                today,
            )
            .await
            .unwrap();
            tokens.push(token);
        }
        tokens
    })
}

/// Spawns `concord` as `command` sets it up (a `serve`), with a quiet log and no database
/// from the environment, and waits until it says where it serves: the process and its
/// address. What it prints after is read on, so that it never blocks on a full pipe.
pub fn spawn_serving(
    mut command: std::process::Command,
    name: &str,
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = command
        .env("CONCORD_LOG", "warn")
        .env_remove("CONCORD_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("Concord is serving") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "{name} did not start"
        );
    }
    std::thread::spawn(move || for _ in out.lines() {});
    let address = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    (child, address)
}

/// A raw answer: status, the Set-Cookie and Location headers, the body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub cookies: Vec<String>,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of a cookie this answer sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            c.split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v.to_owned())
        })
    }

    /// The hidden CSRF field of the page's first form.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF field");
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

/// Sends a request as a browser would, without following redirects.
pub fn call(
    method: &str,
    url: &str,
    cookies: &[(&str, &str)],
    headers: &[(&str, &str)],
    form: Option<&[(&str, &str)]>,
) -> Page {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let cookie: Vec<String> = cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let mut response = match method {
        "GET" => {
            let mut r = agent.get(url);
            if !cookie.is_empty() {
                r = r.header("cookie", &cookie.join("; "));
            }
            for (n, v) in headers {
                r = r.header(*n, *v);
            }
            r.call()
        }
        _ => {
            let mut r = agent.post(url);
            if !cookie.is_empty() {
                r = r.header("cookie", &cookie.join("; "));
            }
            for (n, v) in headers {
                r = r.header(*n, *v);
            }
            r.send_form(form.unwrap_or(&[]).iter().copied())
        }
    }
    .unwrap();
    Page {
        status: response.status().as_u16(),
        cookies: response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect(),
        location: response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned()),
        body: response.body_mut().read_to_string().unwrap(),
    }
}

/// Signs in through the form; returns the session cookie.
pub fn sign_in(server: &TestServer, username: &str, password: &str) -> Page {
    let form = call("GET", &server.url("/login"), &[], &[], None);
    let csrf_cookie = form
        .cookie("concord_login_csrf")
        .expect("the form sets its CSRF cookie");
    call(
        "POST",
        &server.url("/login"),
        &[("concord_login_csrf", &csrf_cookie)],
        &[],
        Some(&[
            ("username", username),
            ("password", password),
            ("csrf", &form.csrf()),
        ]),
    )
}

/// Opens a console account with the password `correct horse battery`, as the operator would.
pub fn open_account(
    db: &TestDatabase,
    username: &str,
    affiliation: &str,
    roles: &[concord_core::accounts::Role],
    language: concord_core::accounts::Language,
) {
    let url = db.url.clone();
    let account = concord_core::accounts::Account {
        username: username.into(),
        name: format!("{username} (test)"),
        affiliation: affiliation.parse().unwrap(),
        roles: roles.to_vec(),
        language,
        opened_on: time::OffsetDateTime::now_utc().date(),
    };
    block_on(async move {
        let store = concord::database::open(&url).await.unwrap();
        concord_store::accounts::open(store.as_ref(), account, "correct horse battery", "operator")
            .await
            .unwrap();
    });
}

/// Takes a new document of `doc_type` through the council's procedure at a session opened
/// today (opened first if need be): drafted, circulated, every member that may vote
/// agreeing except those given another stance, decided. Returns the decision's outcome.
pub fn adopt(
    server: &TestServer,
    delegations: &Delegations,
    id: &str,
    doc_type: &str,
    stances: &[(&str, concord_core::consensus::Stance)],
) -> String {
    use concord_core::consensus::{Position, Stance};
    use concord_core::council::{Circulate, Command, Decide, Draft, OpenSession};
    use concord_core::text::Text;
    let today = time::OffsetDateTime::now_utc().date();
    let session = format!("csc-adopting-{today}");
    let post = |owner: &str, command: Command| {
        post_json(
            &server.url("/api/v1/council/commands"),
            &delegations.sign(owner, command),
        )
    };
    let open = post(
        "secretariat",
        Command::OpenSession(OpenSession {
            id: session.parse().unwrap(),
            body: "csc".parse().unwrap(),
            date: today,
            city: Text::new("Moscow", "Москва"),
            country: "RUS".parse().unwrap(),
            venue: None,
            formats: vec![],
            confidential: false,
        }),
    );
    assert!(open.status == 201 || open.status == 409, "{open:?}");
    for command in [
        Command::DraftDocument(Draft {
            id: id.parse().unwrap(),
            session: session.parse().unwrap(),
            doc_type: doc_type.parse().unwrap(),
            title: Text::new(format!("The {doc_type} {id}"), format!("Документ {id}")),
            text: Text::new("Text.", "Текст."),
        }),
        Command::Circulate(Circulate {
            document: id.parse().unwrap(),
            version: 1,
        }),
    ] {
        let reply = post("secretariat", command);
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    let agreement = server
        .get(&format!("/api/v1/documents/{id}/agreement"))
        .json;
    let under = &agreement["under_agreement"];
    for member in ["BLR", "KAZ", "KGZ", "RUS", "TJK"] {
        let stance = stances
            .iter()
            .find(|(m, _)| *m == member)
            .map_or(Stance::Agree, |(_, s)| *s);
        let reply = post(
            member,
            Command::RecordPosition(Position {
                document: id.parse().unwrap(),
                version: under["version"].as_u64().unwrap() as u32,
                hash: under["hash"].as_str().unwrap().to_owned(),
                member: member.parse().unwrap(),
                stance,
                reason: (stance == Stance::Object).then(|| "not this text".to_owned()),
                signatory: None,
                signed_on: today,
            }),
        );
        assert_eq!(reply.status, 201, "{member}: {reply:?}");
    }
    let decided = post(
        "secretariat",
        Command::Decide(Decide {
            document: id.parse().unwrap(),
            urgent: false,
        }),
    );
    assert_eq!(decided.status, 201, "{decided:?}");
    server.get(&format!("/api/v1/documents/{id}")).json["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
