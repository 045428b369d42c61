//! Alerts over HTTP: CAP 1.2 messages signed in, read only where released, exported as
//! CAP 1.2 that validates against the official schema; real feed messages import; what
//! is not CAP 1.2, or says otherwise than its releasability, is refused and leaves nothing.

mod common;

use common::{Delegations, TestDatabase, TestServer, cap_sample, post_json};
use concord_core::council::{Command, CrisisLevel, IssueAlert, OpenSituation};
use serde_json::{Value, json};

/// The crisis-response centre's own alert: restricted, for the national centres.
const CRC_ALERT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>CRC-2026-0042</identifier>
  <sender>crc@concord.example</sender>
  <sent>2026-11-20T06:10:00+05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Restricted</scope>
  <restriction>National crisis centres of the sharing group</restriction>
  <info>
    <language>ru-RU</language>
    <category>Security</category>
    <event>Вооружённое пересечение границы</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <headline>Armed group crossing the Panj</headline>
    <description>About twenty armed men crossed the river at night &amp; moved north.</description>
    <area>
      <areaDesc>Khatlon, Tajik–Afghan border</areaDesc>
      <polygon>37.1,68.3 37.1,68.9 37.5,68.9 37.1,68.3</polygon>
    </area>
  </info>
</alert>
"#;

fn issue(id: &str, cap: &str, releasability: Option<Value>, situation: Option<&str>) -> Command {
    Command::IssueAlert(IssueAlert {
        id: id.parse().unwrap(),
        cap: cap.to_owned(),
        releasability: releasability.map(|r| serde_json::from_value(r).unwrap()),
        situation: situation.map(|s| s.parse().unwrap()),
    })
}

#[test]
fn alerts_are_signed_released_exported_as_valid_cap_and_refused_when_not_cap_1_2() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let post = |owner: &str, command: Command| {
            post_json(
                &server.url("/api/v1/alerts"),
                &delegations.sign(owner, command),
            )
        };
        let events = || server.get("/healthz").json["events"].as_u64().unwrap();
        let holders = ["KAZ", "BLR", "ARM", "secretariat"];
        let tokens: Vec<(&str, String)> = holders
            .into_iter()
            .zip(common::duty_officer_tokens(&db, &holders))
            .collect();
        let token = |holder: &str| tokens.iter().find(|(h, _)| *h == holder).unwrap().1.clone();

        // National centres watch the live stream.
        let kaz_live = common::watch(&server, &token("KAZ"));
        let blr_live = common::watch(&server, &token("BLR"));
        std::thread::sleep(std::time::Duration::from_millis(300));

        // The crisis-response centre opens a situation and alerts the central-asia group.
        let opened = post_json(
            &server.url("/api/v1/council/commands"),
            &delegations.sign(
                "secretariat",
                Command::OpenSituation(OpenSituation {
                    id: "panj-2026-11".parse().unwrap(),
                    title: concord_core::text::Text::new("Panj crossings", "Переходы через Пяндж"),
                    level: CrisisLevel::Elevated,
                }),
            ),
        );
        assert_eq!(opened.status, 201, "{opened:?}");
        let reply = post(
            "secretariat",
            issue(
                "crc-2026-0042",
                CRC_ALERT,
                Some(json!({"to": "group", "group": "central-asia"})),
                Some("panj-2026-11"),
            ),
        );
        assert_eq!(reply.status, 201, "{}: {reply:?}", db.backend);
        assert_eq!(reply.json["issuer"], "secretariat");
        assert_eq!(reply.json["severity"], "Severe");
        assert_eq!(reply.json["title"], "Armed group crossing the Panj");
        let leaf = reply.json["last_leaf"].as_u64().unwrap();

        // Read where released: the group's member and the originating secretariat; not
        // another member, not a frozen member, not the public.
        for (holder, may) in [
            ("KAZ", true),
            ("secretariat", true),
            ("BLR", false),
            ("ARM", false),
        ] {
            let t = token(holder);
            let list = server.get_as(&t, "/api/v1/alerts");
            assert_eq!(list.status, 200);
            assert_eq!(
                list.text.contains("crc-2026-0042"),
                may,
                "{holder}: {}",
                list.text
            );
            let one = server.get_as(&t, "/api/v1/alerts/crc-2026-0042");
            let xml = server.get_as(&t, "/api/v1/alerts/crc-2026-0042/cap");
            let situation = server.get_as(&t, "/api/v1/situations/panj-2026-11");
            if holder == "ARM" {
                situation.problem(404); // a frozen member reads no situation
            } else {
                assert_eq!(situation.status, 200, "{holder}: members read situations");
                assert_eq!(
                    situation.json["alerts"].as_array().unwrap().len(),
                    usize::from(may),
                    "{holder}"
                );
            }
            let entry = server.get_as(
                &t,
                &format!("/api/v1/ledger/entries?start={leaf}&end={}", leaf + 1),
            );
            if may {
                assert_eq!(one.status, 200);
                assert_eq!(one.json["cap"]["infos"][0]["severity"], "Severe");
                assert_eq!(xml.status, 200);
                assert_eq!(xml.content_type, "application/cap+xml; charset=utf-8");
                assert_eq!(
                    concord_cap::parse(xml.text.as_bytes()).unwrap(),
                    concord_cap::parse(CRC_ALERT.as_bytes()).unwrap(),
                    "the export says what was signed"
                );
                if let Some(valid) = common::cap_schema_errors(&xml.text) {
                    valid.unwrap_or_else(|e| panic!("{holder}: {e}\n{}", xml.text));
                }
                assert!(entry.text.contains("Panj"), "{holder}: {}", entry.text);
            } else {
                assert!(
                    one.problem(404)
                        .contains("no alert `crc-2026-0042` that you may read")
                );
                xml.problem(404);
                assert!(
                    !entry.text.contains("Panj"),
                    "{holder}: leaked {}",
                    entry.text
                );
                assert_eq!(entry.json[0]["withheld"], true);
                assert!(
                    entry.json[0].get("kind").is_none(),
                    "a withheld entry names no kind"
                );
            }
        }
        // Live: the group's centre receives the alert; another member's does not (its next
        // event is the first public alert, further down).
        let arrived = |live: &std::sync::mpsc::Receiver<(u64, String)>| loop {
            let (i, kind) = live
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("the stream goes on");
            if kind == "alert-issued" {
                return i;
            }
        };
        assert_eq!(arrived(&kaz_live), leaf, "{}", db.backend);
        let public = server.get("/api/v1/alerts/crc-2026-0042/cap");
        public.problem(404);
        assert!(!server.get("/api/v1/alerts").text.contains("crc-2026-0042"));

        // Real feed messages import as public alerts and export schema-valid.
        for (id, sample) in [
            ("rus-eccc-2051382770", "eccc-2022-10-10-air-quality-bc.xml"),
            (
                "rus-eccc-1032737847",
                "eccc-2022-10-10-frost-advisory-ns.xml",
            ),
            (
                "rus-oasis-amber-example",
                "oasis-cap-1.2-amber-alert-example.xml",
            ),
        ] {
            let cap = cap_sample(sample);
            let reply = post("RUS", issue(id, &cap, None, None));
            assert_eq!(reply.status, 201, "{sample}: {reply:?}");
            assert_eq!(reply.json["releasability"], json!({"to": "public"}));
            let xml = server.get(&format!("/api/v1/alerts/{id}/cap"));
            assert_eq!(xml.status, 200, "{xml:?}");
            assert_eq!(
                concord_cap::parse(xml.text.as_bytes()).unwrap(),
                concord_cap::parse(cap.as_bytes()).unwrap(),
                "{sample}"
            );
            if let Some(valid) = common::cap_schema_errors(&xml.text) {
                valid.unwrap_or_else(|e| panic!("{sample}: {e}"));
            }
        }
        assert!(
            arrived(&blr_live) > leaf,
            "BLR never receives the group's alert"
        );
        let listed = server.get("/api/v1/alerts");
        assert_eq!(listed.json.as_array().unwrap().len(), 3, "{}", listed.text);

        // Refusals: a clear problem, a rule, nothing recorded.
        let before = events();
        let refusals = [
            (
                post(
                    "RUS",
                    issue(
                        "rus-nws-1",
                        &cap_sample("nws-2015-08-15-flood-warning-cap-1.1.xml"),
                        None,
                        None,
                    ),
                ),
                422,
                "not-cap-1.2",
                "this is CAP 1.1; Concord takes CAP 1.2",
            ),
            (
                post(
                    "RUS",
                    issue(
                        "rus-bad-urgency",
                        &CRC_ALERT.replace("Immediate", "Soon"),
                        None,
                        None,
                    ),
                ),
                422,
                "not-cap-1.2",
                "alert/info[1]/urgency: `Soon` is not a CAP 1.2 value",
            ),
            (
                post(
                    "RUS",
                    issue("rus-leak", CRC_ALERT, Some(json!({"to": "public"})), None),
                ),
                422,
                "cap-scope-mismatch",
                "the CAP scope is Restricted but the alert is released to the public",
            ),
            (
                post(
                    "RUS",
                    issue(
                        "rus-narrowed",
                        &cap_sample("oasis-cap-1.2-amber-alert-example.xml"),
                        Some(json!({"to": "members"})),
                        None,
                    ),
                ),
                422,
                "cap-scope-mismatch",
                "the CAP scope is Public",
            ),
            (
                post("ARM", issue("frozen", CRC_ALERT, None, None)),
                422,
                "frozen-member",
                "ARM's participation is frozen",
            ),
            (
                post(
                    "secretariat",
                    issue("lost", CRC_ALERT, None, Some("no-such-situation")),
                ),
                404,
                "not-found",
                "situation no-such-situation does not exist",
            ),
            (
                post(
                    "secretariat",
                    issue(
                        "nogroup",
                        CRC_ALERT,
                        Some(json!({"to": "group", "group": "caucasus"})),
                        None,
                    ),
                ),
                422,
                "not-in-charter",
                "no sharing group `caucasus`",
            ),
            (
                // The secretariat's alert's name is not Kazakhstan's to take: refused by the
                // name alone, so nothing is said of whether it exists.
                post("KAZ", issue("crc-2026-0042", CRC_ALERT, None, None)),
                422,
                "not-own-name",
                "an alert of KAZ is named `kaz-…`",
            ),
            (
                post("secretariat", issue("crc-2026-0042", CRC_ALERT, None, None)),
                409,
                "already-exists",
                "alert crc-2026-0042 already exists",
            ),
        ];
        for (reply, status, rule, detail) in refusals {
            let got = reply.problem(status);
            assert_eq!(reply.json["rule"], rule, "{got}");
            assert!(got.contains(detail), "expected `{detail}` in `{got}`");
        }
        let mut forged = delegations.sign("KAZ", issue("kaz-forged", CRC_ALERT, None, None));
        forged["command"]["cap"] = json!(CRC_ALERT.replace("Severe", "Extreme"));
        post_json(&server.url("/api/v1/alerts"), &forged).problem(403);
        let other = delegations.sign(
            "secretariat",
            Command::SetCrisisLevel(concord_core::council::SetCrisisLevel {
                situation: "panj-2026-11".parse().unwrap(),
                level: CrisisLevel::Crisis,
                reason: "escalation".into(),
            }),
        );
        assert!(
            post_json(&server.url("/api/v1/alerts"), &other)
                .problem(400)
                .contains("is not an alert")
        );
        assert_eq!(
            events(),
            before,
            "{}: a refusal recorded something",
            db.backend
        );
    }
}
