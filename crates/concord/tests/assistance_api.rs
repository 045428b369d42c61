//! A whole crisis, end to end through the HTTP API, with the live stream watched throughout:
//! Tajikistan requests collective assistance, the council decides within hours by its
//! urgent rule (Armenia frozen, refused), four members pledge forces, a deployment is
//! ordered, deploys, withdraws and is completed; a pledge to the closed deployment is
//! refused.

mod common;

use std::time::Duration;

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::consensus::{Position, Stance};
use concord_core::council::{
    AdvanceDeployment, Command, Decide, DeploymentStatus, OrderDeployment, PledgeForces,
    RequestAssistance,
};
use concord_core::text::Text;
use serde_json::Value;

#[test]
fn a_whole_crisis_from_request_to_completed_deployment() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let [secretariat, kaz]: [String; 2] =
            common::duty_officer_tokens(&db, &["secretariat", "KAZ"])
                .try_into()
                .unwrap();
        let stream = common::watch(&server, &secretariat);
        std::thread::sleep(Duration::from_millis(300));
        let first = server.get("/healthz").json["events"].as_u64().unwrap();
        let post = |owner: &str, command: Command| {
            post_json(
                &server.url("/api/v1/council/commands"),
                &delegations.sign(owner, command),
            )
        };
        let ok = |owner: &str, command: Command| {
            let reply = post(owner, command);
            assert_eq!(reply.status, 201, "{} {reply:?}", db.backend);
        };
        let id = "tjk-2026-assistance-1";

        ok(
            "TJK",
            Command::RequestAssistance(RequestAssistance {
                id: id.parse().unwrap(),
                requester: "TJK".parse().unwrap(),
                text: Text::new(
                    "Armed groups have crossed the southern border; Tajikistan asks for collective forces under the collective-defence article.",
                    "Вооружённые группы пересекли южную границу; Таджикистан просит коллективные силы в соответствии со статьёй о коллективной обороне.",
                ),
            }),
        );
        let decision = format!("consultations-{id}-decision");
        // Generated Russian declines the requester's name (the charter's genitive).
        let title = &server
            .get_as(&kaz, &format!("/api/v1/documents/{decision}"))
            .json["title"];
        assert_eq!(
            title["ru"], "Решение по запросу Таджикистана о коллективной помощи",
            "{}",
            db.backend
        );
        assert_eq!(
            title["en"],
            "Decision on the request of Tajikistan for collective assistance"
        );
        let agreement = server
            .get_as(&kaz, &format!("/api/v1/documents/{decision}/agreement"))
            .json;
        let under = &agreement["under_agreement"];
        let position = |member: &str| {
            Command::RecordPosition(Position {
                document: decision.parse().unwrap(),
                version: under["version"].as_u64().unwrap() as u32,
                hash: under["hash"].as_str().unwrap().to_owned(),
                member: member.parse().unwrap(),
                stance: Stance::Agree,
                reason: None,
                signatory: None,
                signed_on: time::OffsetDateTime::now_utc().date(),
            })
        };
        // Nothing to pledge to before the decision.
        let pledge = |member: &str, units: u32| {
            Command::PledgeForces(PledgeForces {
                request: id.parse().unwrap(),
                member: member.parse().unwrap(),
                units,
                personnel: units * 150,
                equipment: units * 12,
                aircraft: 2,
            })
        };
        assert!(
            post("KAZ", pledge("KAZ", 2))
                .problem(422)
                .contains("not decided")
        );
        assert_eq!(post("ARM", position("ARM")).json["rule"], "frozen-member");
        for member in ["BLR", "KAZ", "KGZ", "RUS", "TJK"] {
            ok(member, position(member));
        }
        ok(
            "secretariat",
            Command::Decide(Decide {
                document: decision.parse().unwrap(),
                urgent: true,
            }),
        );

        let view = server.get_as(&kaz, &format!("/api/v1/requests/{id}")).json;
        assert_eq!(view["decision"]["outcome"], "adopted", "{view}");
        assert_eq!(view["decision"]["rule"], "urgent-consensus");
        let requested = time::OffsetDateTime::parse(
            view["request"]["requested_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let by = time::OffsetDateTime::parse(
            view["request"]["decide_by"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(
            by - requested,
            time::Duration::hours(24),
            "the fast track gives a day"
        );
        assert!(
            time::OffsetDateTime::now_utc() < by,
            "decided within the day"
        );

        // Four members pledge; one cannot pledge for another.
        assert_eq!(post("KAZ", pledge("RUS", 1)).json["rule"], "wrong-signer");
        for (member, units) in [("RUS", 3), ("KAZ", 2), ("KGZ", 1), ("BLR", 1)] {
            ok(member, pledge(member, units));
        }
        ok(
            "secretariat",
            Command::OrderDeployment(OrderDeployment {
                request: id.parse().unwrap(),
            }),
        );
        let step = |to: DeploymentStatus| {
            Command::AdvanceDeployment(AdvanceDeployment {
                request: id.parse().unwrap(),
                to,
            })
        };
        ok("secretariat", step(DeploymentStatus::Deploying));
        ok("secretariat", step(DeploymentStatus::Deployed));
        assert!(
            post("secretariat", step(DeploymentStatus::Completed))
                .problem(422)
                .contains("next: withdrawing")
        );
        ok("secretariat", step(DeploymentStatus::Withdrawing));
        ok("secretariat", step(DeploymentStatus::Completed));
        let before = server.get("/healthz").json["events"].as_u64().unwrap();
        assert!(
            post("BLR", pledge("BLR", 1))
                .problem(422)
                .contains("closed")
        );
        assert_eq!(
            server.get("/healthz").json["events"].as_u64().unwrap(),
            before
        );

        let view = server.get_as(&kaz, &format!("/api/v1/requests/{id}")).json;
        assert_eq!(view["status"], "completed");
        assert_eq!(view["totals"]["units"], 7);
        assert_eq!(view["totals"]["personnel"], 1050);
        let steps: Vec<&str> = view["deployment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "ordered",
                "deploying",
                "deployed",
                "withdrawing",
                "completed"
            ]
        );
        server.get(&format!("/api/v1/requests/{id}")).problem(404);
        let listed = server.get_as(&kaz, "/api/v1/requests").json;
        assert_eq!(listed[0]["id"], id, "{listed}");
        assert_eq!(listed[0]["status"], "completed");
        assert_eq!(listed[0]["decision"], "adopted");
        assert_eq!(server.get("/api/v1/requests").text, "[]");

        // The crisis is the members' and the secretariat's business: the public sees
        // neither the consultations, nor the decision, nor their ledger entries.
        let session = format!("consultations-{id}");
        server
            .get(&format!("/api/v1/sessions/{session}"))
            .problem(404);
        server
            .get(&format!("/api/v1/documents/{decision}"))
            .problem(404);
        server
            .get(&format!("/api/v1/documents/{decision}/agreement"))
            .problem(404);
        server
            .get(&format!("/api/v1/documents/{decision}/bundle"))
            .problem(404);
        let year = time::OffsetDateTime::now_utc().year();
        let public_sessions = server.get(&format!("/api/v1/sessions?year={year}")).text;
        assert!(!public_sessions.contains(&session), "{}", db.backend);
        assert!(
            server
                .get_as(&kaz, &format!("/api/v1/sessions?year={year}"))
                .text
                .contains(&session)
        );
        assert_eq!(
            server
                .get_as(&kaz, &format!("/api/v1/documents/{decision}"))
                .json["status"],
            "adopted"
        );
        let size = server.get("/healthz").json["events"].as_u64().unwrap();
        let public_entries = server
            .get(&format!("/api/v1/ledger/entries?start={first}&end={size}"))
            .json;
        let shown: Vec<&Value> = public_entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("withheld").is_none())
            .collect();
        assert!(
            shown.is_empty(),
            "{}: the public read {shown:?}",
            db.backend
        );
        let member_entries = server
            .get_as(
                &kaz,
                &format!("/api/v1/ledger/entries?start={first}&end={size}"),
            )
            .text;
        assert!(
            member_entries.contains("collective forces") && !member_entries.contains("withheld")
        );

        // The stream saw every event of the crisis, in ledger order, none twice.
        let last = server.get("/healthz").json["events"].as_u64().unwrap();
        let mut seen: Vec<(u64, String)> = vec![];
        while seen.last().is_none_or(|(i, _)| *i + 1 < last) {
            match stream.recv_timeout(Duration::from_secs(10)) {
                Ok(e) => seen.push(e),
                Err(_) => panic!(
                    "{}: the stream stopped at {:?} of {last}",
                    db.backend,
                    seen.last()
                ),
            }
        }
        let ids: Vec<u64> = seen.iter().map(|(i, _)| *i).collect();
        assert_eq!(ids, (first..last).collect::<Vec<_>>(), "{}", db.backend);
        let kinds: Vec<&str> = seen
            .iter()
            .map(|(_, k)| k.as_str())
            .filter(|k| *k != "command-signed")
            .collect();
        let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
        assert_eq!(kinds[0], "session-recorded");
        assert!(kinds.contains(&"assistance-requested"));
        assert_eq!(count("position-recorded"), 5);
        assert_eq!(count("document-decided"), 1);
        assert_eq!(count("forces-pledged"), 4);
        assert_eq!(count("deployment-stepped"), 5);

        // The adopted decision is confidential: the press centre shows none of it.
        for path in ["/press", "/press/documents.atom", "/press/sessions.ics"] {
            let public = server.get(path);
            assert_eq!(public.status, 200);
            assert!(
                !public.text.contains("consultations-"),
                "{path}: {}",
                public.text
            );
        }

        // The audit re-verifies every signature of the crisis, the members' own (the
        // request and the pledges) included.
        let url = db.url.clone();
        let audit = common::block_on(async move {
            let store = concord::database::open(&url).await.unwrap();
            concord_store::ledger::audit(store.as_ref(), |_, _| {}).await
        });
        assert!(audit.is_ok(), "{}: {audit:?}", db.backend);
    }
}
