//! The property behind every attack on reading: random records × random readers × every
//! read path returns exactly what the access policy (`concord_core::access`) allows.
//!
//! A seeded generator (`CONCORD_PROPERTY_SEED` to replay one; the seed is printed) files
//! reports from five states with random releasabilities, some with a second version under
//! another releasability, and alerts from the secretariat and members; then, on SQLite and
//! PostgreSQL, each kind of reader (every member, a frozen member, the secretariat's
//! officer, administrator and press officer, the public) reads through lists with random
//! filters, limits and pages, one report's versions, the ledger's entries, the live stream
//! caught up from a `Last-Event-ID`, alerts and their CAP export, and gets what the policy
//! says, no more and no less.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::access::{Guard, may_read};
use concord_core::keys::KeyOwner;
use concord_core::registry::MemberStatus;
use concord_core::releasability::{Reader, Releasability, SharingGroup};
use serde_json::{Value, json};

/// xorshift64*: small, seeded, enough to vary the world.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[(self.next() % from.len() as u64) as usize]
    }
}

const REPORTERS: [&str; 5] = ["BLR", "KAZ", "KGZ", "RUS", "TJK"];
const WORDS: [&str; 5] = ["border", "convoy", "harbour", "depot", "bridge"];

fn releases() -> Vec<Value> {
    vec![
        json!({"to": "originator"}),
        json!({"to": "members"}),
        json!({"to": "members+partners"}),
        json!({"to": "group", "group": "central-asia"}),
        json!({"to": "public"}),
    ]
}

/// One version of a report as filed.
#[derive(Debug, Clone)]
struct Filed {
    id: String,
    version: u32,
    reporter: String,
    release: Releasability,
    title: String,
    /// Minutes after 10:00 on 20 November 2026 (the list's order).
    minute: i64,
}

/// Each kind of reader: a name, its token (none for the public), and who the policy
/// says it is.
fn readers(db: &TestDatabase) -> Vec<(String, Option<String>, Reader)> {
    let state = |c: &str, status| Reader::State {
        code: c.parse().unwrap(),
        status,
    };
    let mut out: Vec<(String, Option<String>, Reader)> = ["BLR", "KAZ", "KGZ", "RUS", "TJK", "ARM"]
        .into_iter()
        .zip(common::duty_officer_tokens(
            db,
            &["BLR", "KAZ", "KGZ", "RUS", "TJK", "ARM"],
        ))
        .map(|(c, t)| {
            let status = if c == "ARM" {
                MemberStatus::Frozen
            } else {
                MemberStatus::Member
            };
            (c.to_owned(), Some(t), state(c, status))
        })
        .collect();
    for (role, reader) in [
        ("secretariat-officer", Reader::Secretariat),
        ("administrator", Reader::Administrator),
        ("press-officer", Reader::Public),
    ] {
        let token = common::tokens(db, role, &["secretariat"]).remove(0);
        out.push((format!("secretariat {role}"), Some(token), reader));
    }
    out.push(("the public".into(), None, Reader::Public));
    out
}

fn guard(release: &Releasability, originator: KeyOwner) -> Guard {
    Guard::Released {
        release: release.clone(),
        originator,
    }
}

#[test]
fn every_read_path_returns_exactly_what_the_policy_allows() {
    let seed = std::env::var("CONCORD_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("access property: CONCORD_PROPERTY_SEED={seed}");
    for db in TestDatabase::all() {
        let mut rng = Random(seed);
        let server = TestServer::start(&db);
        let keys = Delegations::register(&db);
        let groups: Vec<SharingGroup> =
            serde_json::from_value(server.get("/api/v1/charter").json["sharing_groups"].clone())
                .unwrap();
        let first_leaf = server.get("/healthz").json["events"].as_u64().unwrap();

        // The world.
        let mut filed: Vec<Filed> = Vec::new();
        for n in 0..40 {
            let reporter = rng.pick(&REPORTERS).to_string();
            let release = rng.pick(&releases()).clone();
            let id = format!("{}-p-{n}", reporter.to_lowercase());
            let versions = if rng.next() % 4 == 0 { 2 } else { 1 };
            let minute = (rng.next() % 50) as i64;
            for version in 1..=versions {
                let release = if version == 1 {
                    release.clone()
                } else {
                    rng.pick(&releases()).clone()
                };
                let title = format!("{} {} {n}", rng.pick(&WORDS), rng.pick(&WORDS));
                let command = concord_core::council::Command::ReportIncident(Box::new(
                    serde_json::from_value(json!({
                        "id": id, "version": version, "reporter": reporter, "domain": "drug-trafficking",
                        "occurred_at": format!("2026-11-20T10:{minute:02}:00Z"),
                        "place": {"type": "Point", "coordinates": [69.2, 41.3]},
                        "country": reporter, "severity": "Moderate", "urgency": "Expected",
                        "certainty": "Observed", "title": title, "text": "Seen.", "releasability": release
                    }))
                    .unwrap(),
                ));
                let reply = post_json(
                    &server.url("/api/v1/incidents"),
                    &keys.sign(&reporter, command),
                );
                assert_eq!(reply.status, 201, "{reply:?}");
                filed.push(Filed {
                    id: id.clone(),
                    version,
                    reporter: reporter.clone(),
                    release: serde_json::from_value(release).unwrap(),
                    title,
                    minute,
                });
            }
        }
        let mut alerts: Vec<(String, KeyOwner, Releasability)> = Vec::new();
        for n in 0..6 {
            let issuer = *rng.pick(&["secretariat", "KAZ", "BLR"]);
            let (scope, release) = match rng.next() % 3 {
                0 => ("Public", json!({"to": "public"})),
                1 => (
                    "Restricted",
                    json!({"to": "group", "group": "central-asia"}),
                ),
                _ => ("Private", json!({"to": "originator"})),
            };
            let id = match issuer {
                "secretariat" => format!("crc-p-{n}"),
                state => format!("{}-alert-p-{n}", state.to_lowercase()),
            };
            let cap = format!(
                r#"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>P-{n}</identifier><sender>p@concord.example</sender><sent>2026-11-20T06:10:00+05:00</sent><status>Actual</status><msgType>Alert</msgType><scope>{scope}</scope>{}<info><category>Security</category><event>Test</event><urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty></info></alert>"#,
                match scope {
                    "Restricted" => "<restriction>central-asia</restriction>",
                    "Private" => "<addresses>crc</addresses>",
                    _ => "",
                }
            );
            let command =
                concord_core::council::Command::IssueAlert(concord_core::council::IssueAlert {
                    id: id.parse().unwrap(),
                    cap,
                    releasability: Some(serde_json::from_value(release.clone()).unwrap()),
                    situation: None,
                });
            let reply = post_json(&server.url("/api/v1/alerts"), &keys.sign(issuer, command));
            assert_eq!(reply.status, 201, "{reply:?}");
            alerts.push((
                id,
                issuer.parse().unwrap(),
                serde_json::from_value(release).unwrap(),
            ));
        }
        // A public report after the world: every stream reaches it, and stops there.
        let marker = concord_core::council::Command::ReportIncident(Box::new(
            serde_json::from_value(json!({
                "id": "kaz-marker", "version": 1, "reporter": "KAZ", "domain": "drug-trafficking",
                "occurred_at": "2026-11-20T09:59:00Z",
                "place": {"type": "Point", "coordinates": [69.2, 41.3]},
                "country": "KAZ", "severity": "Minor", "urgency": "Expected",
                "certainty": "Observed", "title": "marker", "text": "End.",
                "releasability": {"to": "public"}
            }))
            .unwrap(),
        ));
        let reply = post_json(&server.url("/api/v1/incidents"), &keys.sign("KAZ", marker));
        assert_eq!(reply.status, 201, "{reply:?}");
        let marker_leaf = reply.json["last_leaf"].as_u64().unwrap();
        filed.push(Filed {
            id: "kaz-marker".into(),
            version: 1,
            reporter: "KAZ".into(),
            release: Releasability::Public,
            title: "marker".into(),
            minute: -1,
        });

        for (who, token, reader) in readers(&db) {
            let token = token.as_deref();
            let reads = |release: &Releasability, reporter: &str| {
                may_read(&guard(release, reporter.parse().unwrap()), &reader, &groups)
            };
            // The latest version of each report, as lists show them.
            let mut latest: BTreeMap<&str, &Filed> = BTreeMap::new();
            for f in &filed {
                latest.insert(&f.id, f);
            }

            // Lists with random filters, limits and pages.
            for _ in 0..3 {
                let word = rng.pick(&WORDS);
                let q = if rng.next() % 2 == 0 {
                    Some(*word)
                } else {
                    None
                };
                let limit = 1 + rng.next() % 7;
                let mut expected: Vec<&Filed> = latest
                    .values()
                    .copied()
                    .filter(|f| reads(&f.release, &f.reporter))
                    .filter(|f| q.is_none_or(|w| f.title.contains(w)))
                    .collect();
                expected.sort_by(|a, b| b.minute.cmp(&a.minute).then(a.id.cmp(&b.id)));
                let expected: Vec<&str> = expected.iter().map(|f| f.id.as_str()).collect();
                let mut path = format!(
                    "/api/v1/incidents?limit={limit}{}",
                    q.map(|w| format!("&q={w}")).unwrap_or_default()
                );
                let mut got: Vec<String> = Vec::new();
                loop {
                    let page = server.read(token, &path);
                    assert_eq!(page.status, 200, "{who}: {page:?}");
                    let ids: Vec<String> = page
                        .json
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["report"]["id"].as_str().unwrap().to_owned())
                        .collect();
                    assert!(ids.len() as u64 <= limit);
                    got.extend(ids);
                    match page.link.as_deref() {
                        Some(link) => path = link[1..link.find('>').unwrap()].to_owned(),
                        None => break,
                    }
                }
                assert_eq!(
                    got, expected,
                    "{}: {who} listing {path} (seed {seed})",
                    db.backend
                );
            }

            // One report's versions.
            for id in latest.keys() {
                let expected: Vec<u32> = filed
                    .iter()
                    .filter(|f| f.id == *id && reads(&f.release, &f.reporter))
                    .map(|f| f.version)
                    .collect();
                let one = server.read(token, &format!("/api/v1/incidents/{id}"));
                if expected.is_empty() {
                    one.problem(404);
                } else {
                    let got: Vec<u32> = one.json["versions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v["report"]["version"].as_u64().unwrap() as u32)
                        .collect();
                    assert_eq!(
                        got, expected,
                        "{}: {who} reading {id} (seed {seed})",
                        db.backend
                    );
                }
            }

            // What each report version and alert looks like on the ledger and the stream.
            let mut expected_events: BTreeSet<String> = filed
                .iter()
                .filter(|f| reads(&f.release, &f.reporter))
                .map(|f| format!("{}@{}", f.id, f.version))
                .collect();
            expected_events.extend(
                alerts
                    .iter()
                    .filter(|(_, issuer, release)| {
                        may_read(&guard(release, *issuer), &reader, &groups)
                    })
                    .map(|(id, _, _)| id.clone()),
            );
            let entries = server.read(
                token,
                &format!(
                    "/api/v1/ledger/entries?start={first_leaf}&end={}",
                    marker_leaf + 1
                ),
            );
            let on_ledger: BTreeSet<String> = entries
                .json
                .as_array()
                .unwrap()
                .iter()
                .filter_map(record_of)
                .collect();
            assert_eq!(
                on_ledger, expected_events,
                "{}: {who} on the ledger (seed {seed})",
                db.backend
            );
            let streamed = stream_from(&server, token, first_leaf - 1, marker_leaf);
            assert_eq!(
                streamed, expected_events,
                "{}: {who} on the stream (seed {seed})",
                db.backend
            );

            // Alerts: the list, one alert and its CAP export.
            let listed: BTreeSet<String> = server
                .read(token, "/api/v1/alerts")
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect();
            let allowed: BTreeSet<String> = alerts
                .iter()
                .filter(|(_, issuer, release)| may_read(&guard(release, *issuer), &reader, &groups))
                .map(|(id, _, _)| id.clone())
                .collect();
            assert_eq!(
                listed, allowed,
                "{}: {who} alerts (seed {seed})",
                db.backend
            );
            for (id, _, _) in &alerts {
                let cap = server.read(token, &format!("/api/v1/alerts/{id}/cap"));
                assert_eq!(cap.status == 200, allowed.contains(id), "{who}: {id}");
            }
        }
    }
}

/// `report@version` or an alert's id, for a ledger entry or stream event that carries one.
fn record_of(entry: &Value) -> Option<String> {
    let event = &entry["event"];
    match event["type"].as_str()? {
        "incident-reported" => Some(format!(
            "{}@{}",
            event["body"]["report"]["id"].as_str()?,
            event["body"]["report"]["version"]
        )),
        "alert-issued" => Some(event["body"]["alert"]["id"].as_str()?.to_owned()),
        _ => None,
    }
}

/// The records the live stream sends `token`'s reader after `last`, up to leaf `end`.
fn stream_from(server: &TestServer, token: Option<&str>, last: u64, end: u64) -> BTreeSet<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .build()
        .into();
    let mut request = agent
        .get(&server.url("/api/v1/stream"))
        .header("last-event-id", &last.to_string());
    if let Some(t) = token {
        request = request.header("authorization", &format!("Bearer {t}"));
    }
    let response = request.call().unwrap();
    let mut lines = BufReader::new(response.into_body().into_reader()).lines();
    let mut out = BTreeSet::new();
    // `end` is a public record: every reader's stream reaches it.
    let marker = end;
    let mut id = 0u64;
    while let Some(Ok(line)) = lines.next() {
        if let Some(i) = line.strip_prefix("id:") {
            id = i.trim().parse().unwrap();
        } else if let Some(data) = line.strip_prefix("data:") {
            let entry: Value = serde_json::from_str(data.trim()).unwrap();
            out.extend(record_of(&entry));
        } else if line.is_empty() && id >= marker {
            break;
        }
    }
    out
}
