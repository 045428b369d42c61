//! The console in a real browser: headless Debian Chromium driven by playwright-core
//! (`browser/console.mjs`): sign in, switch language, read the map, watch an alert arrive
//! live, and check that a duty officer of one state does not see what was released to
//! another. Screenshots are kept in `test-artifacts/browser/`.
//!
//! Needs node, `npm ci --prefix browser` and Debian's chromium; `.ci/run` sees to them.
//! Outside CI a machine without them skips with a message; CI fails.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::accounts::{Account, Language, Role};
use concord_core::council::{Command as Council, IssueAlert};
use serde_json::json;

fn missing_tools(root: &Path) -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !root.join("browser/node_modules/playwright-core").exists() {
        return Some("playwright-core is not installed (npm ci --prefix browser)".into());
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("{chromium} is missing (apt-get install chromium)"));
    }
    None
}

#[test]
fn the_console_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if let Some(why) = missing_tools(&root) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{why}; CI does not skip the browser tests"
        );
        eprintln!("skipped the browser tests: {why}");
        return;
    }
    let db = TestDatabase::sqlite();
    let server = TestServer::start(&db);
    let delegations = Delegations::register(&db);
    let password = "correct horse battery";
    let url = db.url.clone();
    common::block_on(async move {
        let store = concord::database::open(&url).await.unwrap();
        for (username, affiliation, role) in [
            ("kz.duty", "KAZ", Role::DutyOfficer),
            ("by.duty", "BLR", Role::DutyOfficer),
            ("kz.head", "KAZ", Role::HeadOfDelegation),
            ("sec.officer", "secretariat", Role::SecretariatOfficer),
        ] {
            let account = Account {
                username: username.into(),
                name: format!("{role}, {affiliation}"),
                affiliation: affiliation.parse().unwrap(),
                roles: vec![role],
                language: Language::En,
                opened_on: time::OffsetDateTime::now_utc().date(),
            };
            concord_store::accounts::open(store.as_ref(), account, password, "operator")
                .await
                .unwrap();
        }
    });
    // Kazakhstan reports for itself only.
    let title = "Caravan stopped near Zharkent";
    let report = json!({
        "id": "kaz-browser-1", "version": 1, "reporter": "KAZ", "domain": "drug-trafficking",
        "occurred_at": "2026-11-20T03:40:00Z", "place": {"type": "Point", "coordinates": [80.0, 44.2]},
        "country": "KAZ", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
        "title": title, "text": "…", "releasability": {"to": "originator"}
    });
    let report = Council::ReportIncident(Box::new(serde_json::from_value(report).unwrap()));
    assert_eq!(
        post_json(
            &server.url("/api/v1/incidents"),
            &delegations.sign("KAZ", report)
        )
        .status,
        201
    );
    // The crisis-response centre's alert to the central-asia group, posted while
    // Kazakhstan's duty officer watches.
    let headline = "Armed group crossing the Panj";
    let cap = format!(
        r#"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>CRC-B-1</identifier><sender>crc@concord.example</sender><sent>2026-11-20T06:10:00+05:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Restricted</scope><restriction>central-asia</restriction><info><category>Security</category><event>Border incident</event><urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty><headline>{headline}</headline></info></alert>"#
    );
    let alert = delegations.sign(
        "secretariat",
        Council::IssueAlert(IssueAlert {
            id: "crc-browser-1".parse().unwrap(),
            cap,
            releasability: Some(
                serde_json::from_value(json!({"to": "group", "group": "central-asia"})).unwrap(),
            ),
            situation: None,
        }),
    );
    // A declaration under agreement.
    let today = time::OffsetDateTime::now_utc().date();
    let session = format!("csc-{today}");
    for command in [
        Council::OpenSession(concord_core::council::OpenSession {
            id: session.parse().unwrap(),
            body: "csc".parse().unwrap(),
            date: today,
            city: concord_core::text::Text::new("Moscow", "Москва"),
            country: "RUS".parse().unwrap(),
            venue: None,
            formats: vec![],
            confidential: false,
        }),
        Council::DraftDocument(concord_core::council::Draft {
            id: "browser-declaration".parse().unwrap(),
            session: session.parse().unwrap(),
            doc_type: "declaration".parse().unwrap(),
            title: concord_core::text::Text::new(
                "Declaration on border security",
                "Декларация о безопасности границ",
            ),
            text: concord_core::text::Text::new("The member states…", "Государства-члены…"),
        }),
        Council::Circulate(concord_core::council::Circulate {
            document: "browser-declaration".parse().unwrap(),
            version: 1,
        }),
    ] {
        let reply = post_json(
            &server.url("/api/v1/council/commands"),
            &delegations.sign("secretariat", command),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    // An adopted programme with an item Kazakhstan answers for.
    assert_eq!(
        common::adopt(&server, &delegations, "browser-programme", "programme", &[]),
        "adopted"
    );
    let item_title = "Hand over two border outposts";
    let item = Council::AddProgrammeItem(concord_core::year::AddProgrammeItem {
        programme: "browser-programme".parse().unwrap(),
        number: 1,
        title: concord_core::text::Text::new(item_title, "Передать две пограничные заставы"),
        responsible: concord_core::year::Party::Member("KAZ".parse().unwrap()),
        deadline: today + time::Duration::days(90),
        funding: None,
    });
    let reply = post_json(
        &server.url("/api/v1/council/commands"),
        &delegations.sign("secretariat", item),
    );
    assert_eq!(reply.status, 201, "{reply:?}");
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("KAZ.key");
    std::fs::write(&key_file, delegations.key_file("KAZ")).unwrap();
    let secretariat_key = dir.path().join("secretariat.key");
    std::fs::write(&secretariat_key, delegations.key_file("secretariat")).unwrap();
    let fixtures = dir.path().join("fixtures.json");
    std::fs::write(
        &fixtures,
        json!({
            "kaz": {"username": "kz.duty", "password": password},
            "blr": {"username": "by.duty", "password": password},
            "head": {"username": "kz.head", "password": password},
            "key_file": key_file,
            "document": "browser-declaration",
            "alert": alert,
            "alert_headline": headline,
            "kaz_report_title": title,
            "programme": "browser-programme",
            "secretariat": {"username": "sec.officer", "password": password},
            "secretariat_key_file": secretariat_key,
            "item_title": item_title,
            "year": today.year(),
        })
        .to_string(),
    )
    .unwrap();
    let artifacts = root.join("test-artifacts/browser");
    let run = Command::new("node")
        .arg(root.join("browser/console.mjs"))
        .env("CONCORD_URL", server.url("").trim_end_matches('/'))
        .env("CONCORD_FIXTURES", &fixtures)
        .env("CONCORD_ARTIFACTS", &artifacts)
        .output()
        .expect("node runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "{said}");
    assert!(said.contains("all steps passed"), "{said}");
    // The progress the browser signed is on record.
    let programme = server.get("/api/v1/programmes/browser-programme").json;
    assert_eq!(programme["items"][0]["status"], "done", "{programme}");
    assert_eq!(
        programme["items"][1]["item"]["responsible"]["member"], "KGZ",
        "the secretariat set out the second item in the console: {programme}"
    );
    assert_eq!(
        programme["items"][0]["reports"][0]["report"]["note"]["ru"],
        "Переданы две заставы"
    );
    // The position the browser signed is on record, signature checked by the server.
    let agreement = server
        .get("/api/v1/documents/browser-declaration/agreement")
        .json;
    let positions = agreement["positions"].as_array().unwrap();
    assert_eq!(positions.len(), 1, "{agreement}");
    assert_eq!(positions[0]["position"]["member"], "KAZ");
    assert_eq!(positions[0]["position"]["stance"], "agree");
    for shot in [
        "dashboard-en",
        "dashboard-ru",
        "map",
        "live-alert",
        "belarus-alerts",
        "agreed",
        "ledger",
    ] {
        assert!(artifacts.join(format!("{shot}.png")).exists(), "{shot}.png");
    }
}
