//! Attacks on "no act is recorded that its signer did not make, then and there", written as
//! an adversary would try them over HTTP, on SQLite and PostgreSQL: a member state's officer
//! holding its own key (or an old one), replaying what it read on the ledger, backdating,
//! borrowing a command signed for another deployment, acting while frozen. Each attack is
//! refused with its rule, and leaves nothing on the ledger. docs/security.md lists them.

mod common;

use common::{Delegations, TestDatabase, TestServer, post_json};
use concord_core::consensus::{Position, Stance};
use concord_core::council::{
    AttendanceRecord, Circulate, Command, CrisisLevel, Decide, Draft, OpenSession, OpenSituation,
    PledgeForces, RequestAssistance, SetCrisisLevel, SignedCommand,
};
use concord_core::history::Attendance;
use concord_core::text::Text;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// A server, keys valid since 30 days ago, and a way to post.
struct Scene {
    server: TestServer,
    keys: Delegations,
}

impl Scene {
    fn new(db: &TestDatabase) -> Scene {
        let server = TestServer::start(db);
        let keys = Delegations::register_from(db, today() - Duration::days(30));
        Scene { server, keys }
    }

    fn post(&self, body: &Value) -> common::Reply {
        post_json(&self.server.url("/api/v1/council/commands"), body)
    }

    fn ok(&self, owner: &str, command: Command) -> Value {
        let body = self.keys.sign(owner, command);
        let reply = self.post(&body);
        assert_eq!(reply.status, 201, "{reply:?}");
        body
    }

    fn events(&self) -> u64 {
        self.server.get("/healthz").json["events"].as_u64().unwrap()
    }

    /// Posts `body` and expects a refusal by `rule` that records nothing.
    fn refused(&self, body: &Value, status: u16, rule: &str) {
        let before = self.events();
        let reply = self.post(body);
        reply.problem(status);
        assert_eq!(reply.json["rule"], rule, "{reply:?}");
        assert_eq!(self.events(), before, "a refused command records nothing");
    }

    /// A session with a declaration circulated today; returns the position command of
    /// `member` on it.
    fn circulated(&self, id: &str) -> impl Fn(&str, time::Date) -> Command {
        self.ok(
            "secretariat",
            Command::OpenSession(OpenSession {
                id: format!("{id}-session").parse().unwrap(),
                body: "csc".parse().unwrap(),
                date: today(),
                city: Text::new("Moscow", "Москва"),
                country: "RUS".parse().unwrap(),
                venue: None,
                formats: vec![],
                confidential: false,
            }),
        );
        self.ok(
            "secretariat",
            Command::DraftDocument(Draft {
                id: id.parse().unwrap(),
                session: format!("{id}-session").parse().unwrap(),
                doc_type: "declaration".parse().unwrap(),
                title: Text::new("Declaration", "Декларация"),
                text: Text::new("The states declare.", "Государства заявляют."),
            }),
        );
        self.ok(
            "secretariat",
            Command::Circulate(Circulate {
                document: id.parse().unwrap(),
                version: 1,
            }),
        );
        let agreement = self
            .server
            .get(&format!("/api/v1/documents/{id}/agreement"))
            .json;
        let hash = agreement["under_agreement"]["hash"]
            .as_str()
            .unwrap()
            .to_owned();
        let document = id.to_owned();
        move |member: &str, day: time::Date| {
            Command::RecordPosition(Position {
                document: document.parse().unwrap(),
                version: 1,
                hash: hash.clone(),
                member: member.parse().unwrap(),
                stance: Stance::Agree,
                reason: None,
                signatory: None,
                signed_on: day,
            })
        }
    }
}

/// A replayed command of every kind is refused, whoever submits it again: a session
/// opened twice, an old attendance, a pledge posted four times (counted once), an old
/// crisis level brought back, a report and a position.
#[test]
fn a_signed_command_is_carried_out_once() {
    for db in TestDatabase::all() {
        let s = Scene::new(&db);
        let position = s.circulated("replay-declaration");
        let attendance = s.ok(
            "secretariat",
            Command::RecordAttendance(AttendanceRecord {
                session: "replay-declaration-session".parse().unwrap(),
                member: "KAZ".parse().unwrap(),
                attendance: Attendance::Absent,
            }),
        );
        s.ok(
            "secretariat",
            Command::RecordAttendance(AttendanceRecord {
                session: "replay-declaration-session".parse().unwrap(),
                member: "KAZ".parse().unwrap(),
                attendance: Attendance::Present,
            }),
        );
        // The old "absent", read off the ledger and posted again, would block the decision.
        s.refused(&attendance, 409, "replayed-signature");
        let agreed = s.ok("KAZ", position("KAZ", today()));
        s.refused(&agreed, 409, "replayed-signature");

        // An old crisis level does not come back.
        s.ok(
            "secretariat",
            Command::OpenSituation(OpenSituation {
                id: "replay-situation".parse().unwrap(),
                title: Text::new("Replay", "Повтор"),
                level: CrisisLevel::Monitoring,
            }),
        );
        let level = |l| {
            Command::SetCrisisLevel(SetCrisisLevel {
                situation: "replay-situation".parse().unwrap(),
                level: l,
                reason: "assessment".into(),
            })
        };
        let crisis = s.ok("secretariat", level(CrisisLevel::Crisis));
        s.ok("secretariat", level(CrisisLevel::Elevated));
        s.refused(&crisis, 409, "replayed-signature");
        let situation = s.server.get_as(
            &common::duty_officer_tokens(&db, &["secretariat"]).remove(0),
            "/api/v1/situations/replay-situation",
        );
        assert_eq!(situation.json["level"], "elevated", "{situation:?}");

        // A pledge posted four times counts once.
        s.ok(
            "TJK",
            Command::RequestAssistance(RequestAssistance {
                id: "tjk-replay-1".parse().unwrap(),
                requester: "TJK".parse().unwrap(),
                text: Text::new("Help", "Помощь"),
            }),
        );
        let request = s.server.get_as(
            &common::duty_officer_tokens(&db, &["TJK"]).remove(0),
            "/api/v1/requests/tjk-replay-1",
        );
        let decision = request.json["request"]["decision"].as_str().unwrap();
        let hash = s
            .server
            .get_as(
                &common::duty_officer_tokens(&db, &["TJK"]).remove(0),
                &format!("/api/v1/documents/{decision}/agreement"),
            )
            .json["under_agreement"]["hash"]
            .as_str()
            .unwrap()
            .to_owned();
        for member in ["BLR", "KAZ", "KGZ", "RUS", "TJK"] {
            s.ok(
                member,
                Command::RecordPosition(Position {
                    document: decision.parse().unwrap(),
                    version: 1,
                    hash: hash.clone(),
                    member: member.parse().unwrap(),
                    stance: Stance::Agree,
                    reason: None,
                    signatory: None,
                    signed_on: today(),
                }),
            );
        }
        s.ok(
            "secretariat",
            Command::Decide(Decide {
                document: decision.parse().unwrap(),
                urgent: true,
            }),
        );
        let pledge = s.ok(
            "KAZ",
            Command::PledgeForces(PledgeForces {
                request: "tjk-replay-1".parse().unwrap(),
                member: "KAZ".parse().unwrap(),
                units: 1,
                personnel: 150,
                equipment: 12,
                aircraft: 0,
            }),
        );
        for _ in 0..3 {
            s.refused(&pledge, 409, "replayed-signature");
        }
        let request = s.server.get_as(
            &common::duty_officer_tokens(&db, &["TJK"]).remove(0),
            "/api/v1/requests/tjk-replay-1",
        );
        assert_eq!(request.json["totals"]["personnel"], 150, "{request:?}");

        // A report posted twice.
        let report = report_command("kgz-replay-1", "KGZ", OffsetDateTime::now_utc());
        let body = s.keys.sign("KGZ", report);
        let incidents = s.server.url("/api/v1/incidents");
        assert_eq!(post_json(&incidents, &body).status, 201);
        let again = post_json(&incidents, &body);
        again.problem(409);
        assert_eq!(again.json["rule"], "replayed-signature");

        // The same signed command eight times at once: carried out once, whichever wins
        // (the store's unique seal decides a race the first read did not see).
        let attendance = s.keys.sign(
            "secretariat",
            Command::RecordAttendance(AttendanceRecord {
                session: "replay-declaration-session".parse().unwrap(),
                member: "RUS".parse().unwrap(),
                attendance: Attendance::Present,
            }),
        );
        let url = s.server.url("/api/v1/council/commands");
        carried_out_once(&url, &attendance, db.backend);
    }
}

/// Posts `body` to `url` eight times at once: exactly one is carried out, every other is
/// refused as a replay.
fn carried_out_once(url: &str, body: &Value, backend: &str) {
    let statuses: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let r = post_json(url, body);
                    (r.status, r.json)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{backend}: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .filter(|(s, _)| *s != 201)
            .all(|(s, j)| *s == 409 && j["rule"] == "replayed-signature"),
        "{backend}: {statuses:?}"
    );
}

/// The intake does not look a new report's seal up before deciding it (the report's
/// subject has no event yet); the seals' primary key refuses a seal used before when the
/// report is written, and the batch then looks its seals up and refuses it. A report
/// posted eight times at once is recorded once; another report under a seal already used
/// (its moment and nonce, signed again over the other report) is refused as replayed.
#[test]
fn a_new_report_under_a_seal_used_before_is_refused() {
    for db in TestDatabase::all() {
        let s = Scene::new(&db);
        let incidents = s.server.url("/api/v1/incidents");
        let now = OffsetDateTime::now_utc();
        let report = s.keys.sign("KGZ", report_command("kgz-race-1", "KGZ", now));
        carried_out_once(&incidents, &report, db.backend);

        let used: concord_core::council::Seal =
            serde_json::from_value(report["seal"].clone()).unwrap();
        let reused = serde_json::to_value(under_used_seal(
            &s.keys,
            "KGZ",
            &used,
            report_command("kgz-race-2", "KGZ", now),
        ))
        .unwrap();
        let before = s.events();
        let refused = post_json(&incidents, &reused);
        refused.problem(409);
        assert_eq!(
            refused.json["rule"], "replayed-signature",
            "{}: {refused:?}",
            db.backend
        );
        assert_eq!(
            s.events(),
            before,
            "{}: a refused report records nothing",
            db.backend
        );
        assert_eq!(
            s.server.get("/api/v1/incidents/kgz-race-2").status,
            404,
            "{}",
            db.backend
        );
    }
}

/// In one batch, a new report under a seal used before is refused as replayed and the
/// batch's other reports are recorded all the same (the seals' primary key refuses the
/// batch's write; the batch then looks its seals up, refuses the replay and writes the
/// others again).
#[test]
fn a_replay_in_a_batch_refuses_only_itself() {
    for db in TestDatabase::all() {
        common::block_on(db.demo_store());
        let keys = Delegations::register(&db);
        common::block_on(async {
            let store = concord::database::open(&db.url).await.unwrap();
            let deployment = concord_store::council::Deployment::read(store.as_ref())
                .await
                .unwrap();
            let now = OffsetDateTime::now_utc();
            let signed = |value: Value| -> concord_core::council::SignedCommand {
                serde_json::from_value(value).unwrap()
            };
            let first = signed(keys.sign("KAZ", report_command("kaz-batch-0", "KAZ", now)));
            let done = concord_store::council::execute_many(
                store.as_ref(),
                &deployment,
                std::slice::from_ref(&first),
                now,
            )
            .await;
            assert!(done[0].is_ok(), "{}: {done:?}", db.backend);

            let batch = vec![
                signed(keys.sign("KAZ", report_command("kaz-batch-1", "KAZ", now))),
                under_used_seal(
                    &keys,
                    "KAZ",
                    &first.seal,
                    report_command("kaz-batch-replay", "KAZ", now),
                ),
                signed(keys.sign("KGZ", report_command("kgz-batch-2", "KGZ", now))),
            ];
            let before = store.event_count().await.unwrap();
            let answers =
                concord_store::council::execute_many(store.as_ref(), &deployment, &batch, now)
                    .await;
            assert!(answers[0].is_ok(), "{}: {answers:?}", db.backend);
            assert!(
                matches!(
                    &answers[1],
                    Err(concord_store::council::CommandError::Council(
                        concord_core::council::CouncilError::Replayed
                    ))
                ),
                "{}: {answers:?}",
                db.backend
            );
            assert!(answers[2].is_ok(), "{}: {answers:?}", db.backend);
            assert_eq!(
                store.event_count().await.unwrap(),
                before + 2,
                "{}",
                db.backend
            );
        });
    }
}

/// The server keeps the registry it decided the last batch of reports on while the
/// database's registry version holds. Keys rotated beside the running server (by another
/// connection to its database, as `concord keys register` would) count from the very next
/// report: the new key is accepted, and the old one, which the rotation ended yesterday,
/// is refused.
#[test]
fn keys_rotated_beside_the_server_count_from_the_next_report() {
    for db in TestDatabase::all() {
        let s = Scene::new(&db);
        let incidents = s.server.url("/api/v1/incidents");
        let now = OffsetDateTime::now_utc();
        let first = s
            .keys
            .sign("KGZ", report_command("kgz-rotate-1", "KGZ", now));
        assert_eq!(post_json(&incidents, &first).status, 201, "{}", db.backend);

        let rotated = Delegations::register_from(&db, today());
        let old = post_json(
            &incidents,
            &s.keys
                .sign("KGZ", report_command("kgz-rotate-2", "KGZ", now)),
        );
        old.problem(403);
        assert_eq!(
            old.json["rule"], "key-not-valid-on-date",
            "{}: {old:?}",
            db.backend
        );
        let new = post_json(
            &incidents,
            &rotated.sign("KGZ", report_command("kgz-rotate-3", "KGZ", now)),
        );
        assert_eq!(new.status, 201, "{}: {new:?}", db.backend);
    }
}

/// `command` under the seal `used` already carries (its moment and nonce), signed by
/// `owner`'s key over this other command: what a signer replaying its own nonce sends.
fn under_used_seal(
    keys: &Delegations,
    owner: &str,
    used: &concord_core::council::Seal,
    command: Command,
) -> concord_core::council::SignedCommand {
    let mut seal = used.clone();
    seal.signature = keys
        .secret(owner)
        .sign_command(&seal.signable(&keys.origin, &command))
        .to_b64();
    concord_core::council::SignedCommand { command, seal }
}

fn report_command(id: &str, reporter: &str, at: OffsetDateTime) -> Command {
    Command::ReportIncident(Box::new(
        serde_json::from_value(json!({
            "id": id, "version": 1, "reporter": reporter, "domain": "drug-trafficking",
            "occurred_at": at.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "place": {"type": "Point", "coordinates": [69.2, 41.3]},
            "country": reporter, "severity": "Minor", "urgency": "Expected", "certainty": "Observed",
            "title": "Attack", "text": "Attack.", "releasability": {"to": "members"}
        }))
        .unwrap(),
    ))
}

/// Backdating, post-dating and borrowing: a rotated-out key claiming a day it was valid, a
/// frozen member claiming a day it was a member, a command from the future, one signed for
/// another Concord, a position dated before its version was circulated.
#[test]
fn backdated_and_borrowed_signatures_are_refused() {
    for db in TestDatabase::all() {
        let s = Scene::new(&db);
        let position = s.circulated("backdating-declaration");
        let origin = s.keys.origin.clone();
        let now = OffsetDateTime::now_utc();
        // Kazakhstan's key is rotated out (its successor from today): its old key, valid
        // until yesterday, claims a day of its period.
        let old_kaz = s.keys.secret("KAZ");
        Delegations::register_another(&db, "KAZ", today());
        let backdated = SignedCommand::sign(
            old_kaz,
            &origin,
            position("KAZ", today() - Duration::days(3)),
            now - Duration::days(3),
        );
        s.refused(
            &serde_json::to_value(&backdated).unwrap(),
            403,
            "key-not-valid-on-date",
        );

        // Armenia is frozen (since 2024): its key signs nothing, whatever day it claims.
        s.refused(
            &s.keys.sign("ARM", position("ARM", today())),
            422,
            "frozen-member",
        );
        s.refused(
            &s.keys.sign_at(
                "ARM",
                position("ARM", today() - Duration::days(2)),
                now - Duration::days(2),
            ),
            422,
            "frozen-member",
        );

        // From the future.
        s.refused(
            &s.keys
                .sign_at("KGZ", position("KGZ", today()), now + Duration::hours(1)),
            422,
            "future-date",
        );
        // Signed for another Concord deployment.
        let elsewhere = SignedCommand::sign(
            s.keys.secret("KGZ"),
            "csto.concord/ledger/0000000000000000",
            position("KGZ", today()),
            now,
        );
        s.refused(
            &serde_json::to_value(&elsewhere).unwrap(),
            403,
            "bad-signature",
        );
        // Dated before the version was circulated (the key was valid then).
        s.refused(
            &s.keys.sign_at(
                "KGZ",
                position("KGZ", today() - Duration::days(1)),
                now - Duration::days(1),
            ),
            422,
            "signed-before-circulation",
        );
        // A malformed moment.
        let mut odd = s.keys.sign("KGZ", position("KGZ", today()));
        odd["seal"]["issued_at"] = json!("yesterday");
        s.refused(&odd, 403, "bad-signature");
        // The honest position goes through.
        s.ok("KGZ", position("KGZ", today()));
    }
}

/// A frozen member files nothing, requests nothing, pledges nothing, alerts nobody.
#[test]
fn a_frozen_member_acts_in_nothing() {
    for db in TestDatabase::all() {
        let s = Scene::new(&db);
        let before = s.events();
        let reply = post_json(
            &s.server.url("/api/v1/incidents"),
            &s.keys.sign(
                "ARM",
                report_command("arm-1", "ARM", OffsetDateTime::now_utc()),
            ),
        );
        reply.problem(422);
        assert_eq!(reply.json["rule"], "frozen-member");
        s.refused(
            &s.keys.sign(
                "ARM",
                Command::RequestAssistance(RequestAssistance {
                    id: "arm-request".parse().unwrap(),
                    requester: "ARM".parse().unwrap(),
                    text: Text::new("Help", "Помощь"),
                }),
            ),
            422,
            "frozen-member",
        );
        s.refused(
            &s.keys.sign(
                "ARM",
                Command::PledgeForces(PledgeForces {
                    request: "tjk-anything".parse().unwrap(),
                    member: "ARM".parse().unwrap(),
                    units: 1,
                    personnel: 1,
                    equipment: 0,
                    aircraft: 0,
                }),
            ),
            422,
            "frozen-member",
        );
        assert_eq!(s.events(), before);
    }
}

/// A flood of reports dated far in the future is refused at the door.
#[test]
fn reports_from_the_future_are_refused() {
    for db in TestDatabase::all() {
        let s = Scene::new(&db);
        let far = time::macros::datetime!(9999-12-31 0:00 UTC);
        let reply = post_json(
            &s.server.url("/api/v1/incidents"),
            &s.keys
                .sign("KAZ", report_command("kaz-future-1", "KAZ", far)),
        );
        reply.problem(422);
        assert_eq!(reply.json["rule"], "invalid-report");
        assert!(reply.json["detail"].as_str().unwrap().contains("future"));
        // Within the clocks' skew, a report is taken.
        let soon = OffsetDateTime::now_utc() + Duration::minutes(2);
        let reply = post_json(
            &s.server.url("/api/v1/incidents"),
            &s.keys
                .sign("KAZ", report_command("kaz-soon-1", "KAZ", soon)),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
    }
}
