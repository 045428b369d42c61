//! Attacks on "no record reaches a state it was not released to", written as an adversary
//! would try them over HTTP, on SQLite and PostgreSQL: counting hidden reports through a
//! limit, reading another member's text character by character through search, finding a
//! confidential document by a name without the usual prefix, asking refusals and withheld
//! ledger entries what exists. docs/security.md lists them; `every_read_path_returns_exactly_what_the_policy_allows`
//! is the property behind them all.

mod common;

use std::collections::BTreeSet;

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::council::{Command, Draft, OpenSession};
use concord_core::text::Text;
use serde_json::{Value, json};

fn report(id: &str, reporter: &str, release: Value, title: &str, minute: u32) -> Command {
    Command::ReportIncident(Box::new(
        serde_json::from_value(json!({
            "id": id, "version": 1, "reporter": reporter, "domain": "drug-trafficking",
            "occurred_at": format!("2026-11-20T10:{:02}:00Z", minute % 60),
            "place": {"type": "Point", "coordinates": [69.2, 41.3]},
            "country": reporter, "severity": "Moderate", "urgency": "Expected", "certainty": "Observed",
            "title": title, "text": "Details.", "releasability": release
        }))
        .unwrap(),
    ))
}

fn file(server: &TestServer, keys: &Delegations, reporter: &str, command: Command) {
    let reply = post_json(
        &server.url("/api/v1/incidents"),
        &keys.sign(reporter, command),
    );
    assert_eq!(reply.status, 201, "{reply:?}");
}

fn ids(reply: &common::Reply) -> Vec<String> {
    reply
        .json
        .as_array()
        .unwrap_or_else(|| panic!("{reply:?}"))
        .iter()
        .map(|r| r["report"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The path of a `Link: <…>; rel="next"` header.
fn next(reply: &common::Reply) -> Option<String> {
    let link = reply.link.as_deref()?;
    Some(link[link.find('<')? + 1..link.find('>')?].to_owned())
}

/// Kazakhstan floods originator-only reports, the newest of all; Belarus's list still
/// gets exactly its limit of what it may read, page after page, and the public cannot
/// count what it may not read.
#[test]
fn a_limit_and_its_pages_count_only_what_the_reader_may_read() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let keys = Delegations::register(&db);
        for n in 0..30 {
            let own = report(
                &format!("kaz-own-{n}"),
                "KAZ",
                json!({"to": "originator"}),
                "Own",
                59,
            );
            file(&server, &keys, "KAZ", own);
        }
        for n in 0..5 {
            let shared = report(
                &format!("tjk-shared-{n}"),
                "TJK",
                json!({"to": "members"}),
                "Shared",
                n,
            );
            file(&server, &keys, "TJK", shared);
        }
        let blr = common::duty_officer_tokens(&db, &["BLR"]).remove(0);
        let first = server.get_as(&blr, "/api/v1/incidents?limit=2");
        assert_eq!(
            ids(&first),
            ["tjk-shared-4", "tjk-shared-3"],
            "{}",
            db.backend
        );
        let mut seen = ids(&first);
        let mut page = first;
        while let Some(path) = next(&page) {
            page = server.get_as(&blr, &path);
            assert_eq!(page.status, 200, "{page:?}");
            seen.extend(ids(&page));
        }
        assert_eq!(
            seen,
            (0..5)
                .rev()
                .map(|n| format!("tjk-shared-{n}"))
                .collect::<Vec<_>>(),
            "{}: every readable report once, in order, none of Kazakhstan's",
            db.backend
        );
        // The public reads none, and learns nothing from asking for one.
        let public = server.get("/api/v1/incidents?limit=1");
        assert_eq!(public.json, json!([]));
        assert!(public.link.is_none());
        // A cursor that was never given is refused plainly.
        server
            .get_as(&blr, "/api/v1/incidents?after=zz")
            .problem(400);
    }
}

/// Russia files its own originator-only "anchor" and probes Kazakhstan's originator-only
/// text one prefix at a time: nothing of Kazakhstan's ever answers, and a right guess
/// answers exactly like a wrong one.
#[test]
fn text_search_never_touches_a_report_the_reader_may_not_read() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let keys = Delegations::register(&db);
        let secret = "Codeword AZIMUTH-7 at the northern post";
        file(
            &server,
            &keys,
            "KAZ",
            report(
                "kaz-secret-1",
                "KAZ",
                json!({"to": "originator"}),
                secret,
                1,
            ),
        );
        file(
            &server,
            &keys,
            "RUS",
            report(
                "rus-anchor-1",
                "RUS",
                json!({"to": "originator"}),
                "Codeword anchor",
                2,
            ),
        );
        let rus = common::duty_officer_tokens(&db, &["RUS"]).remove(0);
        let mut answers = BTreeSet::new();
        for end in 1..=secret.len() {
            let q = &secret[..end];
            let reply = server.get_as(
                &rus,
                &format!("/api/v1/incidents?limit=1&q={}", q.replace(' ', "%20")),
            );
            assert!(!reply.text.contains("kaz-secret-1"), "{}: {q}", db.backend);
            answers.insert(ids(&reply));
        }
        let wrong = server.get_as(&rus, "/api/v1/incidents?limit=1&q=Codeword%20BRAVO");
        assert!(
            answers
                .iter()
                .all(|a| a.is_empty() || a == &["rus-anchor-1"])
        );
        assert_eq!(ids(&wrong), Vec::<String>::new());
        let right = server.get_as(&rus, "/api/v1/incidents?limit=1&q=Codeword%20AZIMUTH");
        assert_eq!(
            right.text, wrong.text,
            "a right guess answers as a wrong one"
        );
    }
}

/// A document put before a confidential session is confidential, whatever its name: the
/// public, a partner and the press officer find nothing, a member reads it.
#[test]
fn confidentiality_follows_the_session_not_the_name() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let keys = Delegations::register(&db);
        let command = |c: Command| {
            let reply = post_json(
                &server.url("/api/v1/council/commands"),
                &keys.sign("secretariat", c),
            );
            assert_eq!(reply.status, 201, "{reply:?}");
        };
        command(Command::OpenSession(OpenSession {
            id: "csc-closed-2026".parse().unwrap(),
            body: "csc".parse().unwrap(),
            date: time::OffsetDateTime::now_utc().date(),
            city: Text::new("Moscow", "Москва"),
            country: "RUS".parse().unwrap(),
            venue: None,
            formats: vec![],
            confidential: true,
        }));
        command(Command::DraftDocument(Draft {
            id: "decision-on-reinforcement".parse().unwrap(),
            session: "csc-closed-2026".parse().unwrap(),
            doc_type: "decision".parse().unwrap(),
            title: Text::new(
                "On reinforcing the southern border",
                "Об усилении южной границы",
            ),
            text: Text::new("Secret text.", "Секретный текст."),
        }));
        let press = common::tokens(&db, "press-officer", &["secretariat"]).remove(0);
        let kaz = common::duty_officer_tokens(&db, &["KAZ"]).remove(0);
        for (who, token) in [
            ("the public", None),
            ("the press officer", Some(press.as_str())),
        ] {
            let one = server.read(token, "/api/v1/documents/decision-on-reinforcement");
            let unknown = server.read(token, "/api/v1/documents/decision-on-nothing");
            one.problem(404);
            assert_eq!(
                one.json["detail"]
                    .as_str()
                    .unwrap()
                    .replace("reinforcement", "X"),
                unknown.json["detail"]
                    .as_str()
                    .unwrap()
                    .replace("nothing", "X"),
                "{who}"
            );
            for path in [
                "/api/v1/documents/decision-on-reinforcement/agreement",
                "/api/v1/documents/decision-on-reinforcement/bundle",
                "/api/v1/sessions/csc-closed-2026",
            ] {
                server.read(token, path).problem(404);
            }
            for path in [
                "/api/v1/documents",
                "/api/v1/sessions",
                "/api/v1/ledger/entries?start=0&end=1000",
            ] {
                let reply = server.read(token, path);
                assert!(
                    !reply.text.contains("reinforc") && !reply.text.contains("csc-closed-2026"),
                    "{}: {who} reads {path}: {}",
                    db.backend,
                    reply.text
                );
            }
        }
        let press_page = server.get("/press");
        assert!(!press_page.text.contains("reinforc"));
        let member = server.get_as(&kaz, "/api/v1/documents/decision-on-reinforcement");
        assert_eq!(member.status, 200, "{member:?}");
        // Page by page, each reader gets its whole list once, the confidential document
        // only where it may read it.
        for (token, sees) in [(None, false), (Some(kaz.as_str()), true)] {
            for list in ["documents", "sessions"] {
                let whole = server.read(token, &format!("/api/v1/{list}?limit=1000"));
                let mut seen = Vec::new();
                let mut path = format!("/api/v1/{list}?limit=3");
                loop {
                    let page = server.read(token, &path);
                    assert_eq!(page.status, 200, "{page:?}");
                    seen.extend(page.json.as_array().unwrap().iter().cloned());
                    match next(&page) {
                        Some(p) => path = p,
                        None => break,
                    }
                }
                assert_eq!(
                    Value::Array(seen.clone()),
                    whole.json,
                    "{}: {list}",
                    db.backend
                );
                assert_eq!(
                    Value::Array(seen).to_string().contains("csc-closed-2026"),
                    sees,
                    "{}: {list}",
                    db.backend
                );
            }
        }
    }
}

/// Refusals and withheld entries tell nothing of what exists: writing under another
/// state's name is refused by the name alone; reading a withheld report answers like an
/// unknown one; a withheld ledger entry shows its index and leaf hash only, and its salt
/// keeps the leaf hash from confirming a guess.
#[test]
fn refusals_and_withheld_entries_tell_nothing() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let keys = Delegations::register(&db);
        file(
            &server,
            &keys,
            "KAZ",
            report(
                "kaz-hidden-1",
                "KAZ",
                json!({"to": "originator"}),
                "Hidden",
                3,
            ),
        );
        let url = server.url("/api/v1/incidents");
        let mut version_2 = report(
            "kaz-hidden-1",
            "KAZ",
            json!({"to": "originator"}),
            "Mine now",
            3,
        );
        if let Command::ReportIncident(r) = &mut version_2 {
            r.reporter = "BLR".parse().unwrap();
            r.version = 2;
        }
        let taken = post_json(&url, &keys.sign("BLR", version_2));
        let mut never = report("kaz-never-1", "KAZ", json!({"to": "originator"}), "x", 3);
        if let Command::ReportIncident(r) = &mut never {
            r.reporter = "BLR".parse().unwrap();
        }
        let unused = post_json(&url, &keys.sign("BLR", never));
        assert_eq!(taken.json["rule"], "not-own-name");
        assert_eq!(
            taken.json["detail"], unused.json["detail"],
            "{}",
            db.backend
        );

        let blr = common::duty_officer_tokens(&db, &["BLR"]).remove(0);
        let hidden = server.get_as(&blr, "/api/v1/incidents/kaz-hidden-1");
        let absent = server.get_as(&blr, "/api/v1/incidents/kaz-absent-1");
        hidden.problem(404);
        assert_eq!(
            hidden.text.replace("hidden", "X"),
            absent.text.replace("absent", "X")
        );

        // Kazakhstan reads its own entry whole; Belarus sees its index and leaf hash only.
        let kaz = common::duty_officer_tokens(&db, &["KAZ"]).remove(0);
        let size = server.get("/healthz").json["events"].as_u64().unwrap();
        let window = format!(
            "/api/v1/ledger/entries?start={}&end={size}",
            size.saturating_sub(50)
        );
        let own = server.get_as(&kaz, &window);
        let mut entry = own
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"]["body"]["report"]["id"] == "kaz-hidden-1")
            .cloned()
            .expect("Kazakhstan reads its own report on the ledger");
        let index = entry["index"].as_u64().unwrap();
        let seen = server.get_as(
            &blr,
            &format!("/api/v1/ledger/entries?start={index}&end={}", index + 1),
        );
        let withheld = &seen.json[0];
        let keys_shown: BTreeSet<&str> = withheld
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys_shown,
            BTreeSet::from(["index", "leaf_hash", "withheld"]),
            "{}: {withheld}",
            db.backend
        );
        // Without the salt, the very entry does not hash to its leaf: a guess of the
        // contents, however right, cannot be confirmed.
        let leaf = |e: &Value| {
            serde_json::to_value(concord_ledger::proof::B64(
                concord_ledger::entry::leaf_hash(&concord_ledger::canonical::to_vec(e)),
            ))
            .unwrap()
        };
        assert_eq!(leaf(&entry), withheld["leaf_hash"], "{}", db.backend);
        entry.as_object_mut().unwrap().remove("salt");
        assert_ne!(leaf(&entry), withheld["leaf_hash"]);
    }
}

/// A situation's list line and page count and show only the grouped reports whose latest
/// version the reader may read (a report narrowed to its originator drops out for the
/// others); a public alert of a confidential situation does not name it to the public;
/// alerts come a page at a time, each once.
#[test]
fn situations_and_alerts_show_only_what_the_reader_may_read() {
    use concord_core::council::{AttachReport, CrisisLevel, IssueAlert, OpenSituation};
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let keys = Delegations::register(&db);
        let command = |owner: &str, c: Command| {
            let reply = post_json(
                &server.url("/api/v1/council/commands"),
                &keys.sign(owner, c),
            );
            assert_eq!(reply.status, 201, "{reply:?}");
        };
        file(
            &server,
            &keys,
            "TJK",
            report("tjk-s-1", "TJK", json!({"to": "members"}), "Crossing", 1),
        );
        file(
            &server,
            &keys,
            "TJK",
            report("tjk-s-2", "TJK", json!({"to": "members"}), "Convoy", 2),
        );
        command(
            "secretariat",
            Command::OpenSituation(OpenSituation {
                id: "pamir-2026".parse().unwrap(),
                title: Text::new("Pamir", "Памир"),
                level: CrisisLevel::Elevated,
            }),
        );
        for r in ["tjk-s-1", "tjk-s-2"] {
            command(
                "secretariat",
                Command::AttachReport(AttachReport {
                    situation: "pamir-2026".parse().unwrap(),
                    report: r.parse().unwrap(),
                }),
            );
        }
        // Tajikistan narrows its second report to itself.
        let mut narrowed = report("tjk-s-2", "TJK", json!({"to": "originator"}), "Convoy", 2);
        if let Command::ReportIncident(r) = &mut narrowed {
            r.version = 2;
        }
        file(&server, &keys, "TJK", narrowed);
        let [kaz, tjk]: [String; 2] = common::duty_officer_tokens(&db, &["KAZ", "TJK"])
            .try_into()
            .unwrap();
        for (token, count) in [(&kaz, 1), (&tjk, 2)] {
            let list = server.get_as(token, "/api/v1/situations");
            assert_eq!(
                list.json[0]["reports"], count,
                "{}: {}",
                db.backend, list.text
            );
            let one = server.get_as(token, "/api/v1/situations/pamir-2026");
            assert_eq!(
                one.json["reports"].as_array().unwrap().len(),
                count,
                "{}",
                one.text
            );
        }

        // Public alerts, one of them in the situation.
        for n in 0..5 {
            let cap = common::cap_sample("oasis-cap-1.2-amber-alert-example.xml");
            let alert = Command::IssueAlert(IssueAlert {
                id: format!("crc-public-{n}").parse().unwrap(),
                cap,
                releasability: None,
                situation: (n == 0).then(|| "pamir-2026".parse().unwrap()),
            });
            let reply = post_json(
                &server.url("/api/v1/alerts"),
                &keys.sign("secretariat", alert),
            );
            assert_eq!(reply.status, 201, "{reply:?}");
        }
        let public = server.get("/api/v1/alerts/crc-public-0");
        assert_eq!(public.status, 200);
        assert!(public.json["situation"].is_null(), "{}", public.text);
        assert!(!server.get("/api/v1/alerts").text.contains("pamir"));
        assert_eq!(
            server.get_as(&kaz, "/api/v1/alerts/crc-public-0").json["situation"],
            "pamir-2026"
        );
        let mut seen = Vec::new();
        let mut path = "/api/v1/alerts?limit=2".to_owned();
        loop {
            let page = server.get(&path);
            assert!(page.json.as_array().unwrap().len() <= 2);
            seen.extend(
                page.json
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].as_str().unwrap().to_owned()),
            );
            match next(&page) {
                Some(p) => path = p,
                None => break,
            }
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(
            (seen.len(), unique.len()),
            (5, 5),
            "{}: {seen:?}",
            db.backend
        );
    }
}
