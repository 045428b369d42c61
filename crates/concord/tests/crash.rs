//! A server killed outright (SIGKILL, no shutdown) while reports pour in loses none it
//! acknowledged: every report answered `201 Created` is in the store afterwards, and the
//! ledger audits clean — on both backends, the server a process of its own.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{Delegations, TestDatabase};
use concord_core::council::Command;
use concord_core::incident::IncidentReport;
use serde_json::json;

fn report(id: &str) -> Command {
    let report: IncidentReport = serde_json::from_value(json!({
        "id": id, "version": 1, "reporter": "KAZ", "domain": "illegal-migration",
        "occurred_at": "2026-11-23T10:00:00Z",
        "place": {"type": "Point", "coordinates": [69.2, 41.3]}, "country": "KAZ",
        "severity": "Minor", "urgency": "Expected", "certainty": "Observed",
        "title": format!("Report {id}"), "text": "Border crossing attempt.",
        "releasability": {"to": "members"}
    }))
    .unwrap();
    Command::ReportIncident(Box::new(report))
}

#[test]
fn a_killed_server_keeps_every_report_it_acknowledged() {
    for db in TestDatabase::all() {
        let url = db.url.clone();
        common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            concord_store::init::init(store.as_ref(), &concord::demo::files())
                .await
                .unwrap();
        });
        let delegations = Delegations::register(&db);
        let keys = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_concord"));
        command
            .args(["--database", &db.url, "serve", "--listen", "127.0.0.1:0"])
            .arg("--log-key")
            .arg(keys.path().join("log.key"));
        let (mut server, address) = common::spawn_serving(command, "the server");

        // Eight clients post reports one after another until the server is gone.
        let acknowledged = Mutex::new(Vec::new());
        let answered = AtomicUsize::new(0);
        let killed = AtomicBool::new(false);
        std::thread::scope(|s| {
            for client in 0..8 {
                let (acknowledged, answered, killed) = (&acknowledged, &answered, &killed);
                let (delegations, address) = (&delegations, &address);
                s.spawn(move || {
                    for n in 0.. {
                        let id = format!("kaz-crash-{client}-{n}");
                        let signed = delegations.sign("KAZ", report(&id));
                        let url = format!("{address}/api/v1/incidents");
                        match common::try_post_json(&url, &signed).map(|r| r.status) {
                            Ok(201) => {
                                acknowledged.lock().unwrap().push(id);
                                answered.fetch_add(1, Ordering::SeqCst);
                            }
                            _ if killed.load(Ordering::SeqCst) => return,
                            other => panic!("{id} refused before the kill: {other:?}"),
                        }
                    }
                });
            }
            // Killed in the middle of the flow, once it is well under way.
            while answered.load(Ordering::SeqCst) < 300 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            killed.store(true, Ordering::SeqCst);
            server.kill().unwrap();
        });
        server.wait().unwrap();

        let acknowledged = acknowledged.into_inner().unwrap();
        assert!(acknowledged.len() >= 300, "{}", db.backend);
        let url = db.url.clone();
        common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            for id in &acknowledged {
                let versions = store.incident_versions(id).await.unwrap();
                assert_eq!(
                    versions.len(),
                    1,
                    "{}: {id} was acknowledged, then lost",
                    db.backend
                );
            }
            concord_store::ledger::audit(store.as_ref(), |_, _| {})
                .await
                .unwrap_or_else(|e| panic!("{}: the ledger after the kill: {e}", db.backend));
        });
    }
}
