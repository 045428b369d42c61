//! The live stream as its readers meet it: Server-Sent Events over real HTTP, each reader
//! receiving in ledger order only what it may read, and a reconnection with
//! `Last-Event-ID` receiving what it missed, nothing twice.

mod common;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::council::Command;
use concord_core::incident::IncidentReport;
use serde_json::{Value, json};

/// One received SSE event: id, kind, data.
type Received = (u64, String, Value);

/// Opens the stream as `token`'s holder (the public without one), from after `last`;
/// events arrive on the returned channel.
fn open(server: &TestServer, token: Option<&str>, last: Option<u64>) -> mpsc::Receiver<Received> {
    open_at(&server.url(""), token, last)
}

/// [`open`] on the server at `base` (`http://127.0.0.1:PORT`).
fn open_at(base: &str, token: Option<&str>, last: Option<u64>) -> mpsc::Receiver<Received> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(&format!("{base}/api/v1/stream"));
    if let Some(t) = token {
        request = request.header("authorization", &format!("Bearer {t}"));
    }
    if let Some(l) = last {
        request = request.header("last-event-id", &l.to_string());
    }
    let response = request.call().expect("the stream opens");
    assert_eq!(response.status().as_u16(), 200);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let reader = BufReader::new(response.into_body().into_reader());
        let (mut id, mut kind, mut data) = (None, String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("event:") {
                kind = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            } else if line.is_empty() && !data.is_empty() {
                let event = (
                    id.take().unwrap_or(u64::MAX),
                    std::mem::take(&mut kind),
                    serde_json::from_str(&data).unwrap(),
                );
                data.clear();
                if tx.send(event).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The next `n` events, or a failure naming what arrived.
fn take(rx: &mpsc::Receiver<Received>, n: usize) -> Vec<Received> {
    let mut got = vec![];
    while got.len() < n {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(e) => got.push(e),
            Err(_) => panic!("expected {n} events, got {got:?}"),
        }
    }
    got
}

/// Nothing more arrives within a short while.
fn quiet(rx: &mpsc::Receiver<Received>) {
    if let Ok(e) = rx.recv_timeout(Duration::from_millis(700)) {
        panic!("unexpected event {e:?}");
    }
}

fn report(id: &str, release: &str) -> Command {
    let report: IncidentReport = serde_json::from_value(json!({
        "id": format!("tjk-{id}"), "version": 1, "reporter": "TJK", "domain": "terrorism-extremism",
        "occurred_at": "2026-11-23T10:00:00Z",
        "place": {"type": "Point", "coordinates": [68.78, 38.56]},
        "country": "TJK", "severity": "Moderate", "urgency": "Expected", "certainty": "Likely",
        "title": format!("Report {id}"), "text": "Details.", "releasability": {"to": release}
    }))
    .unwrap();
    Command::ReportIncident(Box::new(report))
}

fn title(e: &Received) -> String {
    e.2["event"]["body"]["report"]["title"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn each_reader_receives_what_it_may_read_and_a_reconnection_loses_nothing() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let kaz = common::tokens(&db, "duty-officer", &["KAZ"]).remove(0);
        let kaz_stream = open(&server, Some(&kaz), None);
        let public_stream = open(&server, None, None);
        let post = |id: &str, release: &str| {
            let reply = post_json(
                &server.url("/api/v1/incidents"),
                &delegations.sign("TJK", report(id, release)),
            );
            assert_eq!(reply.status, 201, "{reply:?}");
        };
        post("a", "public");
        post("b", "members");
        post("c", "originator");

        let got = take(&kaz_stream, 2);
        assert_eq!(
            got.iter().map(title).collect::<Vec<_>>(),
            ["Report a", "Report b"],
            "{}",
            db.backend
        );
        assert!(got[0].0 < got[1].0 && got.iter().all(|e| e.1 == "incident-reported"));
        quiet(&kaz_stream);
        let public = take(&public_stream, 1);
        assert_eq!(title(&public[0]), "Report a");
        quiet(&public_stream);

        // KAZ's centre drops off after `a`, reports come in meanwhile, it comes back.
        drop(kaz_stream);
        post("d", "members+partners");
        let again = open(&server, Some(&kaz), Some(got[0].0));
        let missed = take(&again, 2);
        assert_eq!(
            missed.iter().map(title).collect::<Vec<_>>(),
            ["Report b", "Report d"],
            "{}",
            db.backend
        );
        assert_eq!(missed[0].0, got[1].0, "the same event keeps its id");
        post("e", "members");
        assert_eq!(title(&take(&again, 1)[0]), "Report e");
        quiet(&again);

        // A malformed Last-Event-ID is refused.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let r = agent
            .get(&server.url("/api/v1/stream"))
            .header("last-event-id", "yesterday")
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
    }
}

/// A stream does not outlive its reader's right: once the token is revoked, the open
/// stream ends within a recheck (and reconnecting is refused).
#[test]
fn a_revoked_token_ends_its_open_stream() {
    let db = TestDatabase::sqlite();
    let server = TestServer::start(&db);
    let token = common::duty_officer_tokens(&db, &["KAZ"]).remove(0);
    let rx = open(&server, Some(&token), None);
    std::thread::sleep(Duration::from_millis(300));
    let url = db.url.clone();
    let id = concord_ledger::signature::token_sha256(&token)[..12].to_owned();
    common::block_on(async move {
        let store = concord::database::open(&url).await.unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        assert!(
            concord_store::council::revoke_token(store.as_ref(), &id, today)
                .await
                .unwrap()
        );
    });
    let deadline = concord_server::stream::READER_RECHECK + Duration::from_secs(5);
    match rx.recv_timeout(deadline) {
        Err(mpsc::RecvTimeoutError::Disconnected) => {}
        other => panic!("the stream should have ended: {other:?}"),
    }
    server.get_as(&token, "/api/v1/stream").problem(401);
}

/// A `concord serve` process on `url`; its address, and the process (killed when dropped).
struct Serving(std::process::Child, String);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(url: &str, dir: &std::path::Path, name: &str) -> Serving {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_concord"));
    command
        .args([
            "--database",
            url,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-key",
        ])
        .arg(dir.join(format!("{name}.key")));
    let (child, address) = common::spawn_serving(command, name);
    Serving(child, address)
}

/// Several servers on one PostgreSQL (separate processes): a report accepted by one is
/// delivered on the others' streams, woken by PostgreSQL's notifications (the tailer does
/// not poll on PostgreSQL, so without them nothing would arrive).
#[test]
fn servers_on_one_postgresql_deliver_each_others_reports() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = serve(&db.url, dir.path(), "first");
    let second = serve(&db.url, dir.path(), "second");
    let third = serve(&db.url, dir.path(), "third");
    let delegations = Delegations::register(&db);
    let watching = [
        open_at(&second.1, None, None),
        open_at(&third.1, None, None),
    ];
    std::thread::sleep(Duration::from_millis(300));
    for n in 0..3 {
        let reply = post_json(
            &format!("{}/api/v1/incidents", first.1),
            &delegations.sign("TJK", report(&format!("multi-{n}"), "public")),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    for stream in &watching {
        let got = take(stream, 3);
        assert_eq!(
            got.iter().map(title).collect::<Vec<_>>(),
            ["Report multi-0", "Report multi-1", "Report multi-2"]
        );
    }
}

/// A burst (one batch, one commit) reaches every stream whole and in ledger order, each
/// entry once with its own id, however the server groups them into writes.
#[test]
fn a_burst_arrives_whole_in_order_and_filtered() {
    let db = TestDatabase::sqlite();
    let server = TestServer::start(&db);
    let delegations = Delegations::register(&db);
    let kaz = common::tokens(&db, "duty-officer", &["KAZ"]).remove(0);
    let kaz_stream = open(&server, Some(&kaz), None);
    let public_stream = open(&server, None, None);
    let release = |n: usize| ["public", "members", "originator"][n % 3];
    let burst: Vec<Value> = (0..60)
        .map(|n| delegations.sign("TJK", report(&format!("burst-{n}"), release(n))))
        .collect();
    let reply = post_json(&server.url("/api/v1/incidents/batch"), &Value::Array(burst));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json["accepted"], 60, "{}", reply.text);

    let expect = |may: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..60)
            .filter(|n| may(*n))
            .map(|n| format!("Report burst-{n}"))
            .collect()
    };
    for (stream, wanted) in [
        (&kaz_stream, expect(&|n| release(n) != "originator")),
        (&public_stream, expect(&|n| release(n) == "public")),
    ] {
        let got = take(stream, wanted.len());
        assert_eq!(got.iter().map(title).collect::<Vec<_>>(), wanted);
        assert!(
            got.windows(2).all(|w| w[0].0 < w[1].0),
            "ids in ledger order"
        );
        quiet(stream);
    }
}

/// An idle stream sends a comment now and then, so that proxies between a crisis centre
/// and the server keep it open: the first comes once the stream has been quiet for 15 s
/// (checked every 5 s), not before, and the stream still delivers afterwards.
#[test]
fn an_idle_stream_is_kept_alive() {
    let db = TestDatabase::sqlite();
    let server = TestServer::start(&db);
    let keys = Delegations::register(&db);
    let response = ureq::get(&server.url("/api/v1/stream"))
        .call()
        .expect("the stream opens");
    let opened = std::time::Instant::now();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let reader = BufReader::new(response.into_body().into_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if tx.send((opened.elapsed(), line)).is_err() {
                return;
            }
        }
    });
    let (at, line) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("an idle stream sent nothing for 30 s");
    assert!(
        line.starts_with(':'),
        "the first line of an idle stream: {line:?}"
    );
    assert!(
        at >= Duration::from_secs(14),
        "a keep-alive came after only {at:?} of quiet"
    );

    let reply = post_json(
        &server.url("/api/v1/incidents"),
        &keys.sign("TJK", report("kept-alive", "public")),
    );
    assert_eq!(reply.status, 201, "{reply:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, line) = rx
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .expect("the report did not reach the kept-alive stream");
        if line.starts_with("data:") {
            assert!(line.contains("Report kept-alive"), "{line}");
            break;
        }
    }
}

/// The API's listener sends each write at once (`TCP_NODELAY`): a stream's entries are
/// small writes one after another, and with Nagle's algorithm each one after the first
/// waited for the reader's acknowledgement of the one before (up to 40 ms).
#[test]
fn the_api_listener_sends_each_write_at_once() {
    use axum::serve::Listener;
    common::block_on(async {
        let bound = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = bound.local_addr().unwrap();
        let mut listener = concord_server::sending_at_once(bound);
        let client = tokio::spawn(tokio::net::TcpStream::connect(addr));
        let (accepted, _) = listener.accept().await;
        assert!(
            accepted.nodelay().unwrap(),
            "an accepted connection waits to fill its segments"
        );
        client.await.unwrap().unwrap();
    });
}
