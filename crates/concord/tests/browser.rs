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
        for (username, affiliation) in [("kz.duty", "KAZ"), ("by.duty", "BLR")] {
            let account = Account {
                username: username.into(),
                name: format!("Duty officer, {affiliation}"),
                affiliation: affiliation.parse().unwrap(),
                roles: vec![Role::DutyOfficer],
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
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fixtures.json");
    std::fs::write(
        &fixtures,
        json!({
            "kaz": {"username": "kz.duty", "password": password},
            "blr": {"username": "by.duty", "password": password},
            "alert": alert,
            "alert_headline": headline,
            "kaz_report_title": title,
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
    for shot in [
        "dashboard-en",
        "dashboard-ru",
        "map",
        "live-alert",
        "belarus-alerts",
    ] {
        assert!(artifacts.join(format!("{shot}.png")).exists(), "{shot}.png");
    }
}
