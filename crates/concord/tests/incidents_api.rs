//! Incident reports over HTTP: signed by the reporting member, checked, versioned, on the
//! ledger; read only where releasability allows — and until accounts exist every request
//! reads as the public, so restricted reports show nowhere, the ledger's entries included.

mod common;

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::council::Command;
use concord_core::incident::IncidentReport;
use serde_json::{Value, json};

fn report(id: &str, version: u32, reporter: &str, release: Value, title: &str) -> Command {
    let report: IncidentReport = serde_json::from_value(json!({
        "id": id,
        "version": version,
        "reporter": reporter,
        "domain": "drug-trafficking",
        "occurred_at": "2026-11-20T03:40:00Z",
        "place": {"type": "Polygon", "coordinates": [[[68.3, 37.1], [68.9, 37.1], [68.9, 37.5], [68.3, 37.1]]]},
        "country": "TJK",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Observed",
        "title": title,
        "text": "A group of about twenty crossed the river at night.",
        "releasability": release
    }))
    .unwrap();
    Command::ReportIncident(Box::new(report))
}

#[test]
fn reports_are_signed_checked_versioned_and_read_only_where_released() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let url = db.url.clone();
        let base = common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            concord_store::ledger::audit(store.as_ref(), |_, _| {})
                .await
                .unwrap()
                .signatures
        });
        let post = |body: &Value| post_json(&server.url("/api/v1/incidents"), body);
        let events = || server.get("/healthz").json["events"].as_i64().unwrap();

        let secret = report(
            "tjk-2026-000017",
            1,
            "TJK",
            json!({"to": "members"}),
            "Armed group crossing the Panj",
        );
        let reply = post(&delegations.sign("TJK", secret));
        assert_eq!(reply.status, 201, "{reply:?}");
        let public = report(
            "tjk-2026-000018",
            1,
            "TJK",
            json!({"to": "public"}),
            "Flooding in the Vakhsh valley",
        );
        assert_eq!(post(&delegations.sign("TJK", public)).status, 201);

        // Refusals: nothing recorded.
        let before = events();
        let reply = post(&delegations.sign(
            "KAZ",
            report("tjk-2026-000019", 1, "TJK", json!({"to": "public"}), "x"),
        ));
        reply.problem(403);
        assert_eq!(
            reply.json["rule"], "wrong-signer",
            "a report signed by another member's key"
        );
        let mut bad = report("tjk-2026-000019", 1, "TJK", json!({"to": "public"}), "x");
        if let Command::ReportIncident(r) = &mut bad {
            r.domain = "piracy".parse().unwrap();
        }
        let reply = post(&delegations.sign("TJK", bad));
        assert!(
            reply.problem(422).contains("not a threat domain"),
            "{reply:?}"
        );
        assert_eq!(reply.json["rule"], "invalid-report");
        let mut bad = report("tjk-2026-000019", 1, "TJK", json!({"to": "public"}), "x");
        if let Command::ReportIncident(r) = &mut bad {
            r.place = concord_core::incident::Geometry::Polygon(vec![vec![
                vec![68.3, 37.1],
                vec![68.9, 37.1],
                vec![68.9, 37.5],
            ]]);
        }
        let detail = post(&delegations.sign("TJK", bad)).problem(422);
        assert!(detail.contains("place: coordinates[0]"), "{detail}");
        let mut raw = delegations.sign(
            "TJK",
            report("tjk-2026-000019", 1, "TJK", json!({"to": "public"}), "x"),
        );
        raw["command"]["place"] = json!({"type": "Polygon", "coordinates": "north of Dushanbe"});
        post(&raw).problem(400);
        let reply = post(&delegations.sign(
            "TJK",
            report("tjk-2026-000018", 3, "TJK", json!({"to": "public"}), "x"),
        ));
        assert!(reply.problem(422).contains("the next is 2"), "{reply:?}");
        assert_eq!(
            events(),
            before,
            "{}: refused reports record nothing",
            db.backend
        );

        // An update is a new version, never an overwrite.
        let update = report(
            "tjk-2026-000018",
            2,
            "TJK",
            json!({"to": "public"}),
            "Flooding in the Vakhsh valley: two villages cut off",
        );
        assert_eq!(post(&delegations.sign("TJK", update)).status, 201);

        // The public reads the public report, both versions, and nothing of the other.
        let list = server.get("/api/v1/incidents").json;
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["report"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec!["tjk-2026-000018"], "{}", db.backend);
        assert_eq!(list[0]["report"]["version"], 2);
        let one = server.get("/api/v1/incidents/tjk-2026-000018").json;
        assert_eq!(one["versions"].as_array().unwrap().len(), 2);
        server.get("/api/v1/incidents/tjk-2026-000017").problem(404);
        assert_eq!(
            server
                .get("/api/v1/incidents?domain=terrorism-extremism")
                .json,
            json!([])
        );

        // The ledger holds the restricted report; its entry is withheld, its leaf hash is not.
        let size = server.get("/healthz").json["events"].as_u64().unwrap();
        let start = size.saturating_sub(5);
        let entries = server.get(&format!("/api/v1/ledger/entries?start={start}&end={size}"));
        assert!(
            !entries.text.contains("Panj"),
            "{}: the restricted report leaked",
            db.backend
        );
        assert!(entries.text.contains("Vakhsh"));
        let withheld: Vec<&Value> = entries
            .json
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["withheld"] == true)
            .collect();
        assert_eq!(withheld.len(), 1, "{}", entries.text);
        let index = withheld[0]["index"].as_u64().unwrap();
        let proof = server
            .get(&format!("/api/v1/ledger/proof/inclusion?index={index}"))
            .json;
        assert_eq!(proof["leaf_hash"], withheld[0]["leaf_hash"]);

        // The audit re-verifies the reports' signatures with the rest.
        let url = db.url.clone();
        let (with, without, versions) = common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            let with = concord_store::ledger::audit(store.as_ref(), |_, _| {})
                .await
                .unwrap();
            let mut versions = 0;
            for subject in store.subjects("incident").await.unwrap() {
                let id = subject.trim_start_matches("incident/");
                versions += store.incident_versions(id).await.unwrap().len() as u64;
            }
            (
                with.signatures,
                store
                    .incident_versions("tjk-2026-000018")
                    .await
                    .unwrap()
                    .len(),
                versions,
            )
        });
        assert_eq!(without, 2);
        assert!(versions >= 3, "{versions}");
        assert_eq!(
            with,
            base + versions,
            "{}: one signature checked per report version",
            db.backend
        );
    }
}

/// Every reader kind × every releasability × every read path (list, get, ledger entries),
/// each cell written out. Readers come by API token; the public has none.
#[test]
fn the_releasability_matrix_through_every_read_path() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        // A partner state, so that `members+partners` has someone to reach.
        let url = db.url.clone();
        common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            let partner = concord_core::StatusRecord {
                member: "SRB".parse().unwrap(),
                status: concord_core::MemberStatus::Partner,
                since: Some(time::macros::date!(2021 - 01 - 01)),
                attested: None,
                note: None,
                sources: vec![],
            };
            store
                .commit(&[concord_core::Event::StatusRecorded(partner)], None)
                .await
                .unwrap();
        });
        let readers = [
            ("originator", "KAZ"),
            ("member", "RUS"),
            ("group member", "KGZ"),
            ("frozen", "ARM"),
            ("partner", "SRB"),
            ("secretariat", "secretariat"),
        ];
        let holders: Vec<&str> = readers.iter().map(|(_, h)| *h).collect();
        let tokens: Vec<(&str, String)> = readers
            .iter()
            .map(|(who, _)| *who)
            .zip(common::duty_officer_tokens(&db, &holders))
            .collect();
        // The charter's sharing group central-asia: KAZ, KGZ, TJK.
        let releases = [
            "originator",
            "members",
            "members+partners",
            "group",
            "public",
        ];
        for (n, to) in releases.iter().enumerate() {
            let release = match *to {
                "group" => json!({ "to": "group", "group": "central-asia" }),
                other => json!({ "to": other }),
            };
            let command = report(
                &format!("kaz-2026-{n:06}"),
                1,
                "KAZ",
                release,
                &format!("Report released to {to}"),
            );
            assert_eq!(
                post_json(
                    &server.url("/api/v1/incidents"),
                    &delegations.sign("KAZ", command)
                )
                .status,
                201
            );
        }
        // Columns: originator, members, members+partners, group central-asia, public.
        let expected: [(&str, [bool; 5]); 7] = [
            ("originator", [true, true, true, true, true]),
            ("member", [false, true, true, false, true]),
            ("group member", [false, true, true, true, true]),
            ("frozen", [false, false, false, false, true]),
            ("partner", [false, false, true, false, true]),
            ("secretariat", [false, true, true, false, true]),
            ("public", [false, false, false, false, true]),
        ];
        let size = server.get("/healthz").json["events"].as_u64().unwrap();
        for (who, row) in expected {
            let token = tokens
                .iter()
                .find(|(w, _)| *w == who)
                .map(|(_, t)| t.as_str());
            let get = |path: &str| match token {
                Some(t) => server.get_as(t, path),
                None => server.get(path),
            };
            let list = get("/api/v1/incidents").json;
            let entries = get(&format!(
                "/api/v1/ledger/entries?start={}&end={size}",
                size - 5
            ))
            .text;
            for (n, (to, want)) in releases.iter().zip(row).enumerate() {
                let id = format!("kaz-2026-{n:06}");
                let listed = list
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["report"]["id"] == id.as_str());
                let got = get(&format!("/api/v1/incidents/{id}"));
                let in_ledger = entries.contains(&format!("Report released to {to}\""));
                assert_eq!(
                    listed, want,
                    "{}: {who} listing a report released to {to}",
                    db.backend
                );
                assert_eq!(
                    got.status == 200,
                    want,
                    "{}: {who} getting a report released to {to}: {got:?}",
                    db.backend
                );
                assert_eq!(
                    in_ledger, want,
                    "{}: {who} reading the ledger entry of a report released to {to}",
                    db.backend
                );
            }
        }
        // The same cells through the console: a person of each kind signs in and reads
        // the situation map (the public has no account; the press centre is theirs).
        let people = [
            ("originator", "KAZ"),
            ("member", "RUS"),
            ("group member", "KGZ"),
            ("frozen", "ARM"),
            ("partner", "SRB"),
            ("secretariat", "secretariat"),
        ];
        for (n, (who, affiliation)) in people.iter().enumerate() {
            let username = format!("reader{n}");
            let role = if *affiliation == "secretariat" {
                concord_core::accounts::Role::SecretariatOfficer
            } else {
                concord_core::accounts::Role::DutyOfficer
            };
            let account = concord_core::accounts::Account {
                username: username.clone(),
                name: format!("{who} reader"),
                affiliation: affiliation.parse().unwrap(),
                roles: vec![role],
                language: concord_core::accounts::Language::En,
                opened_on: time::OffsetDateTime::now_utc().date(),
            };
            let url = db.url.clone();
            common::block_on(async move {
                let store = concord::database::open(&url).await.unwrap();
                concord_store::accounts::open(
                    store.as_ref(),
                    account,
                    "correct horse battery",
                    "operator",
                )
                .await
                .unwrap();
            });
            let session = common::sign_in(&server, &username, "correct horse battery")
                .cookie("concord_session")
                .expect("signs in");
            let map = common::call(
                "GET",
                &server.url("/map"),
                &[("concord_session", &session)],
                &[],
                None,
            );
            assert_eq!(map.status, 200);
            let row = expected.iter().find(|(w, _)| w == who).unwrap().1;
            for (to, want) in releases.iter().zip(row) {
                assert_eq!(
                    map.body.contains(&format!("Report released to {to}\"")),
                    want,
                    "{}: {who} on the console's map, a report released to {to}",
                    db.backend
                );
            }
        }

        // A bad or revoked token is refused, not read as the public.
        server
            .get_as("cct_not-a-token", "/api/v1/incidents")
            .problem(401);
        let url = db.url.clone();
        let (_, member_token) = tokens.iter().find(|(w, _)| *w == "member").unwrap().clone();
        let id = member_token.clone();
        common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            let sha = concord_ledger::signature::token_sha256(&id);
            let revoked = concord_store::council::revoke_token(
                store.as_ref(),
                &sha[..12],
                time::OffsetDateTime::now_utc().date(),
            )
            .await
            .unwrap();
            assert!(revoked);
        });
        server
            .get_as(&member_token, "/api/v1/incidents")
            .problem(401);
        // Tokens' records are the secretariat's alone.
        let all = server
            .get(&format!(
                "/api/v1/ledger/entries?start={}&end={size}",
                size - 14
            ))
            .text;
        assert!(
            !all.contains("duty-officer"),
            "{}: token records leaked",
            db.backend
        );
    }
}

#[test]
fn search_by_domain_country_time_severity_text_and_box() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let publish = |id: &str,
                       reporter: &str,
                       domain: &str,
                       at: &str,
                       lonlat: [f64; 2],
                       severity: &str,
                       title: &str| {
            let report: IncidentReport = serde_json::from_value(json!({
                "id": id, "version": 1, "reporter": reporter, "domain": domain, "occurred_at": at,
                "place": {"type": "Point", "coordinates": lonlat}, "country": reporter,
                "severity": severity, "urgency": "Expected", "certainty": "Observed",
                "title": title, "text": "Details follow.", "releasability": {"to": "public"}
            }))
            .unwrap();
            let reply = post_json(
                &server.url("/api/v1/incidents"),
                &delegations.sign(reporter, Command::ReportIncident(Box::new(report))),
            );
            assert_eq!(reply.status, 201, "{reply:?}");
        };
        publish(
            "kgz-1",
            "KGZ",
            "drug-trafficking",
            "2026-11-01T08:00:00Z",
            [74.6, 42.9],
            "Moderate",
            "Heroin seized at Bishkek",
        );
        publish(
            "kgz-2",
            "KGZ",
            "drug-trafficking",
            "2026-11-20T08:00:00.5+02:00",
            [72.8, 40.5],
            "Severe",
            "Caravan stopped near Osh",
        );
        publish(
            "kaz-1",
            "KAZ",
            "cybercrime",
            "2026-11-21T12:00:00Z",
            [71.4, 51.2],
            "Minor",
            "Phishing wave in Astana",
        );
        let ids = |query: &str| -> Vec<String> {
            let reply = server.get(&format!("/api/v1/incidents{query}"));
            assert_eq!(reply.status, 200, "{query}: {reply:?}");
            reply
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["report"]["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            ids(""),
            ["kaz-1", "kgz-2", "kgz-1"],
            "{}: newest first",
            db.backend
        );
        assert_eq!(
            ids("?domain=drug-trafficking&country=KGZ"),
            ["kgz-2", "kgz-1"]
        );
        assert_eq!(
            ids("?from=2026-11-15T00:00:00Z&to=2026-11-21T00:00:00Z"),
            ["kgz-2"]
        );
        assert_eq!(ids("?severity=Moderate"), ["kgz-2", "kgz-1"]);
        assert_eq!(ids("?q=OSH"), ["kgz-2"]);
        assert_eq!(ids("?bbox=70,39,76,44"), ["kgz-2", "kgz-1"]);
        assert_eq!(
            ids(
                "?domain=drug-trafficking&from=2026-11-10T00:00:00Z&bbox=70,39,76,44&severity=Severe"
            ),
            ["kgz-2"]
        );
        for bad in [
            "?bbox=1,2,3",
            "?from=yesterday",
            "?severity=Catastrophic",
            "?limit=0",
            "?colour=red",
        ] {
            server.get(&format!("/api/v1/incidents{bad}")).problem(400);
        }
    }
}

#[test]
fn situations_group_reports_each_read_by_its_own_releasability() {
    use concord_core::council::{AttachReport, CrisisLevel, OpenSituation, SetCrisisLevel};
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let kaz = common::tokens(&db, "crisis-centre-analyst", &["KAZ"]).remove(0);
        let command = |owner: &str, c: Command| {
            post_json(
                &server.url("/api/v1/council/commands"),
                &delegations.sign(owner, c),
            )
        };
        for (id, to) in [("tjk-1", "members"), ("tjk-2", "originator")] {
            let reply = post_json(
                &server.url("/api/v1/incidents"),
                &delegations.sign(
                    "TJK",
                    report(id, 1, "TJK", json!({ "to": to }), &format!("Report {id}")),
                ),
            );
            assert_eq!(reply.status, 201);
        }
        let open = Command::OpenSituation(OpenSituation {
            id: "southern-border-2026".parse().unwrap(),
            title: concord_core::Text::new("Southern border", "Южная граница"),
            level: CrisisLevel::Elevated,
        });
        assert_eq!(command("KAZ", open.clone()).json["rule"], "wrong-signer");
        assert_eq!(command("secretariat", open).status, 201);
        let attach = |r: &str| {
            command(
                "secretariat",
                Command::AttachReport(AttachReport {
                    situation: "southern-border-2026".parse().unwrap(),
                    report: r.parse().unwrap(),
                }),
            )
        };
        assert_eq!(attach("tjk-1").status, 201);
        // A report the secretariat may not read is, to it, one that does not exist: the
        // same refusal, word for word but the name.
        let hidden = attach("tjk-2");
        let unknown = attach("tjk-9");
        hidden.problem(404);
        unknown.problem(404);
        assert_eq!(
            hidden.json["detail"]
                .as_str()
                .unwrap()
                .replace("tjk-2", "X"),
            unknown.json["detail"]
                .as_str()
                .unwrap()
                .replace("tjk-9", "X")
        );
        let raise = |level| {
            Command::SetCrisisLevel(SetCrisisLevel {
                situation: "southern-border-2026".parse().unwrap(),
                level,
                reason: "armed crossings".into(),
            })
        };
        assert_eq!(
            command("secretariat", raise(CrisisLevel::Crisis)).status,
            201
        );
        assert_eq!(
            command("secretariat", raise(CrisisLevel::Crisis)).json["rule"],
            "out-of-order"
        );

        let view = server
            .get_as(&kaz, "/api/v1/situations/southern-border-2026")
            .json;
        assert_eq!(view["level"], "crisis", "{}: {view}", db.backend);
        let ids: Vec<&str> = view["reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["report"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["tjk-1"],
            "{}: KAZ reads only what TJK released to it",
            db.backend
        );
        assert_eq!(view["changes"].as_array().unwrap().len(), 3);
        server
            .get("/api/v1/situations/southern-border-2026")
            .problem(404);
    }
}

/// A national centre forwards what it queued as one batch: each report is checked and
/// answered on its own, the accepted ones are recorded, the refused ones leave nothing.
#[test]
fn a_batch_of_reports_is_answered_report_by_report() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let events = || server.get("/healthz").json["events"].as_u64().unwrap();
        let members = json!({"to": "members"});
        let before = events();
        let mut forged = delegations.sign(
            "KAZ",
            report("kaz-b-3", 1, "KAZ", members.clone(), "Forged"),
        );
        forged["command"]["title"] = json!("Changed after signing");
        let batch = json!([
            delegations.sign("KAZ", report("kaz-b-1", 1, "KAZ", members.clone(), "First")),
            delegations.sign("KAZ", report("kaz-b-2", 1, "KAZ", members.clone(), "Second")),
            forged,
            delegations.sign("TJK", report("kaz-b-4", 1, "KAZ", members.clone(), "Signed by another")),
            {"command": {"action": "nonsense"}},
            delegations.sign("KAZ", report("kaz-b-1", 2, "KAZ", members.clone(), "First, revised")),
            delegations.sign("KAZ", report("kaz-b-1", 2, "KAZ", members.clone(), "First, revised twice")),
        ]);
        let reply = post_json(&server.url("/api/v1/incidents/batch"), &batch);
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.json["accepted"], 3, "{}", reply.text);
        assert_eq!(reply.json["refused"], 4, "{}", reply.text);
        let results = reply.json["results"].as_array().unwrap();
        let status: Vec<u64> = results
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(
            status,
            [201, 201, 403, 403, 400, 201, 422],
            "{}",
            reply.text
        );
        assert_eq!(results[2]["problem"]["rule"], "bad-signature");
        assert_eq!(results[3]["problem"]["rule"], "wrong-signer");
        assert!(
            results[4]["problem"]["detail"]
                .as_str()
                .unwrap()
                .contains("not a signed report")
        );
        assert_eq!(results[6]["problem"]["rule"], "out-of-order");
        assert_eq!(results[5]["version"], 2);
        let leaves: Vec<u64> = [0, 1, 5]
            .iter()
            .map(|i| results[*i]["last_leaf"].as_u64().unwrap())
            .collect();
        assert!(leaves[0] < leaves[1] && leaves[1] < leaves[2], "{leaves:?}");
        assert_eq!(
            events(),
            before + 3,
            "{}: exactly the accepted reports",
            db.backend
        );

        // Not an array, or too many: the whole batch is refused.
        post_json(
            &server.url("/api/v1/incidents/batch"),
            &json!({"reports": []}),
        )
        .problem(400);
        let item = delegations.sign("KAZ", report("kaz-b-9", 1, "KAZ", members.clone(), "x"));
        assert!(
            post_json(
                &server.url("/api/v1/incidents/batch"),
                &json!([item.clone(), 5])
            )
            .problem(400)
            .contains("item 1 is not an object")
        );
        let too_many = Value::Array(vec![item; 1001]);
        assert!(
            post_json(&server.url("/api/v1/incidents/batch"), &too_many)
                .problem(400)
                .contains("the most is 1000")
        );
        assert_eq!(events(), before + 3);
    }
}

/// Reports posted at once from many clients go through the intake together: every one
/// is answered with its own leaf, of two rival second versions exactly one is taken, and
/// one report posted six times at once is taken once.
#[test]
fn concurrent_reports_are_each_recorded_once() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let url = server.url("/api/v1/incidents");
        let members = json!({"to": "members"});
        let first = post_json(
            &url,
            &delegations.sign(
                "TJK",
                report("tjk-rival", 1, "TJK", members.clone(), "Rival"),
            ),
        );
        assert_eq!(first.status, 201);
        let before = server.get("/healthz").json["events"].as_u64().unwrap();
        let mut bodies: Vec<Value> = (0..40)
            .map(|n| {
                let reporter = ["BLR", "KAZ", "KGZ", "RUS", "TJK"][n % 5];
                delegations.sign(
                    reporter,
                    report(
                        &format!("{}-many-{n}", reporter.to_lowercase()),
                        1,
                        reporter,
                        members.clone(),
                        "Concurrent",
                    ),
                )
            })
            .collect();
        for title in ["Rival A", "Rival B"] {
            bodies.push(
                delegations.sign("TJK", report("tjk-rival", 2, "TJK", members.clone(), title)),
            );
        }
        // One signed report posted six times at once: batches decided while others
        // commit must still take it once.
        let replayed = delegations.sign(
            "KAZ",
            report("kaz-replayed", 1, "KAZ", members.clone(), "Sent six times"),
        );
        bodies.extend(std::iter::repeat_n(replayed, 6));
        let replies: Vec<(u16, Value)> = std::thread::scope(|s| {
            let handles: Vec<_> = bodies
                .iter()
                .map(|b| {
                    s.spawn(|| {
                        let r = post_json(&url, b);
                        (r.status, r.json)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let accepted: Vec<&Value> = replies
            .iter()
            .filter(|(s, _)| *s == 201)
            .map(|(_, j)| j)
            .collect();
        assert_eq!(accepted.len(), 42, "{}: {replies:?}", db.backend);
        let copies = &replies[42..];
        assert_eq!(
            copies.iter().filter(|(s, _)| *s == 201).count(),
            1,
            "a report sent six times is taken once: {copies:?}"
        );
        for (status, json) in copies.iter().filter(|(s, _)| *s != 201) {
            assert_eq!(*status, 409, "{json}");
            assert_eq!(json["rule"], "replayed-signature", "{json}");
        }
        let rival = &replies[40..42];
        assert_eq!(
            rival.iter().filter(|(s, _)| *s == 201).count(),
            1,
            "exactly one rival second version: {rival:?}"
        );
        let loser = rival.iter().find(|(s, _)| *s != 201).unwrap();
        assert_eq!(loser.0, 422, "{loser:?}");
        assert_eq!(loser.1["rule"], "out-of-order");
        let mut leaves: Vec<u64> = accepted
            .iter()
            .map(|j| j["last_leaf"].as_u64().unwrap())
            .collect();
        leaves.sort_unstable();
        leaves.dedup();
        assert_eq!(leaves.len(), 42, "every report its own leaf");
        assert_eq!(
            server.get("/healthz").json["events"].as_u64().unwrap(),
            before + 42
        );
        assert_eq!(*leaves.first().unwrap(), before);
        assert_eq!(*leaves.last().unwrap(), before + 41);
    }
}
