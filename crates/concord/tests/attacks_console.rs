//! Attacks on the console and the live stream, as a browser or a script would make them:
//! a report title that tries to break out of the page's data, framing and sniffing, a
//! megabyte user name, guessing that would lock the owner out, a `Last-Event-ID` that would
//! replay the whole stream. On SQLite and PostgreSQL; docs/security.md lists them.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};

use common::{Delegations, TestDatabase, TestServer, call, open_account, post_json, sign_in};
use concord_core::accounts::{Language, Role};
use serde_json::json;

/// A report whose title is markup meant for the map page's script element.
#[test]
fn report_text_cannot_break_out_of_a_page() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let keys = Delegations::register(&db);
        open_account(&db, "kz.duty", "KAZ", &[Role::DutyOfficer], Language::En);
        let title = "<!--<script>alert(1)</script></script><img src=x onerror=alert(2)> & \u{2028}";
        let report = concord_core::council::Command::ReportIncident(Box::new(
            serde_json::from_value(json!({
                "id": "kaz-markup-1", "version": 1, "reporter": "KAZ", "domain": "cybercrime",
                "occurred_at": "2026-11-20T10:00:00Z", "place": {"type": "Point", "coordinates": [71.4, 51.1]},
                "country": "KAZ", "severity": "Minor", "urgency": "Expected", "certainty": "Observed",
                "title": title, "text": "x", "releasability": {"to": "members"}
            }))
            .unwrap(),
        ));
        let reply = post_json(&server.url("/api/v1/incidents"), &keys.sign("KAZ", report));
        assert_eq!(reply.status, 201, "{reply:?}");
        let session = sign_in(&server, "kz.duty", "correct horse battery")
            .cookie("concord_session")
            .unwrap();
        let map = call(
            "GET",
            &server.url("/map"),
            &[("concord_session", &session)],
            &[],
            None,
        );
        assert_eq!(map.status, 200);
        let start = map
            .body
            .find(r#"<script id="map-data" type="application/json">"#)
            .unwrap();
        let data = &map.body[start..];
        let data = &data[data.find('>').unwrap() + 1..data.find("</script>").unwrap()];
        assert!(
            !data.contains('<') && !data.contains('>') && !data.contains('&'),
            "{data}"
        );
        let parsed: serde_json::Value = serde_json::from_str(data).unwrap();
        let titles: Vec<&str> = parsed["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap())
            .collect();
        assert!(
            titles.contains(&title),
            "the title arrives intact as data: {titles:?}"
        );
        // The page itself loads nothing but Concord's own files and is never framed.
        let headers = raw(localhost(), &server, "GET /login HTTP/1.1\r\n\r\n");
        for expected in [
            "content-security-policy: default-src 'self'",
            "frame-ancestors 'none'",
            "x-content-type-options: nosniff",
            "x-frame-options: DENY",
            "cache-control: no-store",
        ] {
            assert!(
                headers.to_lowercase().contains(&expected.to_lowercase()),
                "{expected} in {headers}"
            );
        }
    }
}

/// Guessing from one computer makes that computer wait, with a growing wait; the owner,
/// signing in from another, is never locked out. A megabyte user name is refused, unkept.
#[test]
fn guessing_cannot_lock_the_owner_out() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        open_account(
            &db,
            "kz.head",
            "KAZ",
            &[Role::HeadOfDelegation],
            Language::En,
        );
        for _ in 0..concord_server::console::MAX_FAILURES {
            assert_eq!(sign_in(&server, "kz.head", "guess").status, 401);
        }
        assert_eq!(
            sign_in(&server, "kz.head", "correct horse battery").status,
            429,
            "the guessing computer waits, even with the right password"
        );
        // The owner, at another address.
        let elsewhere = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let form = raw(elsewhere, &server, "GET /login HTTP/1.1\r\n\r\n");
        let cookie = header_value(&form, "set-cookie: concord_login_csrf=")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let at = form.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = &form[at..at + form[at..].find('"').unwrap()];
        let body = format!("username=kz.head&password=correct+horse+battery&csrf={csrf}");
        let answer = raw(
            elsewhere,
            &server,
            &format!(
                "POST /login HTTP/1.1\r\ncookie: concord_login_csrf={cookie}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(
            answer.starts_with("HTTP/1.1 303"),
            "{}",
            &answer[..answer.len().min(400)]
        );

        // A name of 64 KiB (past the form limit): refused before anything keeps or logs it.
        let long = "a".repeat(100);
        assert_eq!(sign_in(&server, &long, "x").status, 401);
        let body = format!("username={}&password=x&csrf=x", "a".repeat(64 * 1024));
        let answer = raw(
            localhost(),
            &server,
            &format!(
                "POST /login HTTP/1.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{}",
            &answer[..answer.len().min(300)]
        );
    }
}

/// `Last-Event-ID` must be a leaf the ledger gave: the largest number does not wrap round
/// to replay everything.
#[test]
fn last_event_id_is_checked() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let size = server.get("/healthz").json["events"].as_u64().unwrap();
        for bad in [
            u64::MAX.to_string(),
            size.to_string(),
            "-1".into(),
            "x".into(),
        ] {
            let answer = raw(
                localhost(),
                &server,
                &format!("GET /api/v1/stream HTTP/1.1\r\nlast-event-id: {bad}\r\n\r\n"),
            );
            assert!(answer.starts_with("HTTP/1.1 400"), "{bad}: {answer}");
            assert!(answer.contains("application/problem+json"), "{answer}");
        }
    }
}

fn localhost() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// Sends one raw HTTP/1.1 request from `from` (an address of the loopback range) and
/// returns the answer's head and body, as text; streams are cut after their head.
fn raw(from: IpAddr, server: &TestServer, request: &str) -> String {
    let request = request.replacen(
        "\r\n",
        &format!("\r\nhost: {}\r\nconnection: close\r\n", server.addr),
        1,
    );
    common::block_on(async move {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((from, 0).into()).unwrap();
        let stream = socket.connect(server.addr).await.unwrap();
        let mut stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        // A server that refuses a body early may close before it is all sent.
        let _ = stream.write_all(request.as_bytes());
        let mut answer = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.starts_with(b"HTTP/1.1 200") && answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
}

fn header_value<'a>(answer: &'a str, prefix: &str) -> &'a str {
    let at = answer
        .to_lowercase()
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {answer}"));
    let rest = &answer[at + prefix.len()..];
    &rest[..rest.find("\r\n").unwrap()]
}
