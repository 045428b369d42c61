//! The council's procedure over HTTP, as a program drives it: every command signed with a
//! registered key and posted; every refusal a problem+json naming its rule, with nothing
//! recorded; the bundle verifiable with what the API publishes.

mod common;

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::bundle::{Bundle, TrustedKeys};
use concord_core::consensus::{Position, Stance};
use concord_core::council::{Circulate, Command, Decide, Draft, OpenSession};
use concord_core::text::Text;
use serde_json::{Value, json};

fn position(agreement: &Value, member: &str, stance: Stance) -> Command {
    let under = &agreement["under_agreement"];
    Command::RecordPosition(Position {
        document: under["document"].as_str().unwrap().parse().unwrap(),
        version: under["version"].as_u64().unwrap() as u32,
        hash: under["hash"].as_str().unwrap().to_owned(),
        member: member.parse().unwrap(),
        stance,
        reason: (stance == Stance::Object).then(|| "premature".to_owned()),
        signatory: None,
        signed_on: time::OffsetDateTime::now_utc().date(),
    })
}

#[test]
fn signed_commands_over_http_with_every_refusal_named_and_nothing_half_written() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let post = |body: &Value| post_json(&server.url("/api/v1/council/commands"), body);
        let events = || server.get("/healthz").json["events"].as_i64().unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        let session = format!("csc-{today}");
        let document = format!("statement-{today}");

        let open = Command::OpenSession(OpenSession {
            id: session.parse().unwrap(),
            body: "csc".parse().unwrap(),
            date: today,
            city: Text::new("Dushanbe", "Душанбе"),
            country: "TJK".parse().unwrap(),
            venue: None,
            formats: vec![],
            confidential: false,
        });
        let reply = post(&delegations.sign("secretariat", open.clone()));
        assert_eq!(reply.status, 201, "{reply:?}");
        // The same command again: a conflict, nothing recorded.
        let before = events();
        let detail = post(&delegations.sign("secretariat", open)).problem(409);
        assert!(detail.contains("already exists"), "{detail}");
        assert_eq!(events(), before);

        let draft = Command::DraftDocument(Draft {
            id: document.parse().unwrap(),
            session: session.parse().unwrap(),
            doc_type: "statement".parse().unwrap(),
            title: Text::new("Statement on the border", "Заявление о границе"),
            text: Text::new(
                "The member states support Tajikistan.",
                "Государства-члены поддерживают Таджикистан.",
            ),
        });
        assert_eq!(post(&delegations.sign("secretariat", draft)).status, 201);
        let circulate = Command::Circulate(Circulate {
            document: document.parse().unwrap(),
            version: 1,
        });
        assert_eq!(
            post(&delegations.sign("secretariat", circulate)).status,
            201
        );
        let agreement = server
            .get(&format!("/api/v1/documents/{document}/agreement"))
            .json;
        assert_eq!(
            agreement["tally"]["awaiting"].as_array().unwrap().len(),
            5,
            "{agreement}"
        );

        // Refusals, each naming its rule; none leaves an event.
        let before = events();
        let reply = post(&delegations.sign("ARM", position(&agreement, "ARM", Stance::Agree)));
        reply.problem(422);
        assert_eq!(reply.json["rule"], "frozen-member");
        let reply = post(&delegations.sign("KAZ", position(&agreement, "KGZ", Stance::Agree)));
        reply.problem(403);
        assert_eq!(reply.json["rule"], "wrong-signer");
        let mut forged = delegations.sign("KAZ", position(&agreement, "KAZ", Stance::Agree));
        forged["command"]["stance"] = json!("object");
        forged["command"]["reason"] = json!("inserted after signing");
        let reply = post(&forged);
        reply.problem(403);
        assert_eq!(reply.json["rule"], "bad-signature");
        let mut other_text = position(&agreement, "KAZ", Stance::Agree);
        if let Command::RecordPosition(p) = &mut other_text {
            p.hash = "ab".repeat(32);
        }
        let reply = post(&delegations.sign("KAZ", other_text));
        reply.problem(422);
        assert_eq!(reply.json["rule"], "signed-for-another-version");
        // Dated before the key's period (it is valid from today).
        let mut backdated = position(&agreement, "KAZ", Stance::Agree);
        if let Command::RecordPosition(p) = &mut backdated {
            p.signed_on = p.signed_on.previous_day().unwrap();
        }
        let yesterday = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        let reply = post(&delegations.sign_at("KAZ", backdated.clone(), yesterday));
        reply.problem(403);
        assert_eq!(reply.json["rule"], "key-not-valid-on-date");
        // A position whose day is not its seal's.
        let reply = post(&delegations.sign("KAZ", backdated));
        reply.problem(422);
        assert_eq!(reply.json["rule"], "signed-on-mismatch");
        let reply =
            post(&json!({"command": {"action": "record-position"}, "key": "x", "signature": "y"}));
        assert!(reply.problem(400).contains("not a signed command"));
        let reply = post(&delegations.sign(
            "secretariat",
            Command::Decide(Decide {
                document: document.parse().unwrap(),
                urgent: false,
            }),
        ));
        reply.problem(422);
        assert_eq!(reply.json["rule"], "awaiting-positions");
        assert_eq!(
            events(),
            before,
            "refused commands record nothing ({})",
            db.backend
        );

        // A demo key of init was rotated out yesterday: it no longer signs.
        let demo_key = server
            .get("/api/v1/keys")
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["owner"] == "KAZ" && k["demo"] == true)
            .cloned()
            .unwrap();
        assert!(demo_key["valid_until"].is_string(), "{demo_key}");

        let mut replay = None;
        for member in ["BLR", "KAZ", "KGZ", "RUS", "TJK"] {
            let signed = delegations.sign(member, position(&agreement, member, Stance::Agree));
            assert_eq!(post(&signed).status, 201);
            replay = Some(signed);
        }
        let reply = post(&replay.unwrap());
        reply.problem(409);
        assert_eq!(reply.json["rule"], "replayed-signature");
        let reply = post(&delegations.sign(
            "secretariat",
            Command::Decide(Decide {
                document: document.parse().unwrap(),
                urgent: false,
            }),
        ));
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(
            server.get(&format!("/api/v1/documents/{document}")).json["status"],
            "adopted"
        );

        // The bundle verifies with the keys and log key the API publishes.
        let reply = server.get(&format!("/api/v1/documents/{document}/bundle"));
        assert_eq!(reply.status, 200);
        let bundle: Bundle = serde_json::from_str(&reply.text).unwrap();
        let trusted = TrustedKeys {
            keys: serde_json::from_value(server.get("/api/v1/keys").json).unwrap(),
            log_key: server.get("/api/v1/ledger/key").json["verifier_key"]
                .as_str()
                .map(str::to_owned),
            nodes: vec![],
        };
        let verified = concord_core::bundle::verify(&bundle, &trusted).unwrap();
        assert_eq!(verified.signatures, 5);
        // A submitted 2024 document has no bundle yet: a clear conflict.
        server
            .get("/api/v1/documents/2024-astana-declaration/bundle")
            .problem(409);
        server
            .get("/api/v1/documents/no-such-document/bundle")
            .problem(404);
    }
}
