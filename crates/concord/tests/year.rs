//! The organisation's year, as the secretariat's officer and a chair's foreign-ministry
//! officer meet it over HTTP and the CLI, on SQLite and PostgreSQL: a programme adopted and
//! reported on by two members, one item overdue; a budget adopted with one member staying
//! out, contributions, a payment, arrears; quota posts apportioned for 2026–2028 and one
//! renounced; who holds each post by the rule; the chair's report generated (JSON and PDF,
//! the same bytes every time) and submitted onto the ledger. Every refusal names its rule.

mod common;

use std::process::Command as Process;

use common::{Delegations, TestDatabase, TestServer, adopt, post_json};
use concord_core::consensus::Stance;
use concord_core::council::Command;
use concord_core::text::Text;
use concord_core::year::{
    AddProgrammeItem, ApportionQuotaPosts, FillQuotaPost, ItemStatus, LinkPriority, Party,
    RecordPayment, RecordRef, RenounceQuotaPost, ReportProgress, SetBudget, StatePriorities,
    SubmitAnnualReport,
};
use serde_json::Value;

fn day(offset: i64) -> time::Date {
    time::OffsetDateTime::now_utc().date() + time::Duration::days(offset)
}

fn cli(db: &TestDatabase, args: &[&str]) -> String {
    let out = Process::new(env!("CARGO_BIN_EXE_concord"))
        .arg("--database")
        .arg(&db.url)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_year_of_the_organisation_from_programme_to_the_chairs_signed_report() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let [secretariat, kaz]: [String; 2] =
            common::duty_officer_tokens(&db, &["secretariat", "KAZ"])
                .try_into()
                .unwrap();
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
        let refused = |owner: &str, command: Command, rule: &str| {
            let reply = post(owner, command);
            assert_eq!(reply.json["rule"], rule, "{} {reply:?}", db.backend);
            reply.problem(reply.status)
        };

        // A programme: nothing can be set out under it before it is adopted.
        let item = |number: u32, responsible: Party, deadline: time::Date| {
            Command::AddProgrammeItem(AddProgrammeItem {
                programme: "border-programme-2026".parse().unwrap(),
                number,
                title: Text::new(format!("Item {number}"), format!("Пункт {number}")),
                responsible,
                deadline,
                funding: None,
            })
        };
        let kaz_party = Party::Member("KAZ".parse().unwrap());
        let kgz_party = Party::Member("KGZ".parse().unwrap());
        refused(
            "secretariat",
            item(1, kaz_party.clone(), day(-1)),
            "not-found",
        );
        assert_eq!(
            adopt(
                &server,
                &delegations,
                "border-programme-2026",
                "programme",
                &[]
            ),
            "adopted"
        );
        ok("secretariat", item(1, kaz_party.clone(), day(-1)));
        ok("secretariat", item(2, kgz_party.clone(), day(30)));
        ok(
            "secretariat",
            item(3, Party::Body("joint-staff".parse().unwrap()), day(60)),
        );
        // Out of order, or by a member: refused.
        refused(
            "secretariat",
            item(5, kaz_party.clone(), day(1)),
            "out-of-order",
        );
        refused("KAZ", item(4, kaz_party.clone(), day(1)), "wrong-signer");
        let progress = |item: u32, reporter: Party, status: ItemStatus, percent: u8| {
            Command::ReportProgress(ReportProgress {
                programme: "border-programme-2026".parse().unwrap(),
                item,
                reporter,
                status,
                percent,
                note: Text::new("Posts built", "Построены заставы"),
            })
        };
        ok(
            "KAZ",
            progress(1, kaz_party.clone(), ItemStatus::InProgress, 40),
        );
        ok("KGZ", progress(2, kgz_party.clone(), ItemStatus::Done, 100));
        // Tajikistan cannot report on Kazakhstan's item, nor Kazakhstan sign as Kyrgyzstan.
        let tjk = Party::Member("TJK".parse().unwrap());
        refused(
            "TJK",
            progress(1, tjk, ItemStatus::Done, 100),
            "not-responsible",
        );
        refused(
            "KAZ",
            progress(2, kgz_party.clone(), ItemStatus::Done, 100),
            "wrong-signer",
        );
        let programme = server.get("/api/v1/programmes/border-programme-2026").json;
        assert_eq!(
            (programme["done"].as_u64(), programme["overdue"].as_u64()),
            (Some(1), Some(1)),
            "{} {programme}",
            db.backend
        );
        assert_eq!(programme["items"][0]["overdue"], true);
        assert_eq!(programme["items"][0]["percent"], 40);
        let kaz_share = programme["by_party"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["party"]["member"] == "KAZ")
            .unwrap()
            .clone();
        assert_eq!(
            (kaz_share["items"].as_u64(), kaz_share["overdue"].as_u64()),
            (Some(1), Some(1))
        );
        let listed = cli(&db, &["programmes"]);
        assert!(
            listed.contains("1. Item 1 — KAZ") && listed.contains("OVERDUE"),
            "{listed}"
        );
        assert!(
            listed.contains("KAZ: 1 items, 0 done, 1 overdue")
                && listed.contains("KGZ: 1 items, 1 done, 0 overdue"),
            "progress per member: {listed}"
        );

        // The budget: Kyrgyzstan stays out of the decision; every obliged member is assessed
        // by the charter's shares, Armenia (frozen) included.
        assert_eq!(
            adopt(
                &server,
                &delegations,
                "budget-2026",
                "budget",
                &[("KGZ", Stance::NoInterest)]
            ),
            "adopted"
        );
        let budget = |total: &str| {
            Command::SetBudget(SetBudget {
                year: 2026,
                document: "budget-2026".parse().unwrap(),
                currency: "RUB".to_owned().try_into().unwrap(),
                total: total.parse().unwrap(),
            })
        };
        refused(
            "secretariat",
            Command::SetBudget(SetBudget {
                document: "border-programme-2026".parse().unwrap(),
                ..match budget("1.00") {
                    Command::SetBudget(b) => b,
                    _ => unreachable!(),
                }
            }),
            "not-adopted",
        );
        ok("secretariat", budget("1000000.01"));
        refused("secretariat", budget("5.00"), "already-exists");
        let payment = |member: &str, amount: &str| {
            Command::RecordPayment(RecordPayment {
                year: 2026,
                member: member.parse().unwrap(),
                amount: amount.parse().unwrap(),
                received_on: day(0),
                reference: "SWIFT 123".into(),
            })
        };
        ok("secretariat", payment("KAZ", "100000.00"));
        refused(
            "secretariat",
            payment("RUS", "600000.00"),
            "exceeds-assessment",
        );
        refused("KAZ", payment("KAZ", "1.00"), "wrong-signer");
        // Members read the budget; the public does not learn it exists.
        let accounts = server
            .get_as(&kaz, "/api/v1/budgets/2026?date=2027-01-15")
            .json;
        let account = |code: &str| {
            accounts["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["contribution"]["member"] == code)
                .cloned()
                .unwrap()
        };
        let total: u64 = accounts["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let s = a["contribution"]["assessed"]
                    .as_str()
                    .unwrap()
                    .replace('.', "");
                s.parse::<u64>().unwrap()
            })
            .sum();
        assert_eq!(
            total, 100_000_001,
            "the parts add up to the total, to the kopeck"
        );
        assert_eq!(account("RUS")["contribution"]["assessed"], "500000.01");
        assert_eq!(account("ARM")["contribution"]["assessed"], "100000.00");
        assert_eq!(account("KGZ")["contribution"]["stayed_out"], true);
        assert_eq!(account("KAZ")["outstanding"], "0.00");
        assert_eq!(account("KAZ")["in_arrears"], false);
        assert_eq!(account("ARM")["in_arrears"], true);
        assert_eq!(
            server.get("/api/v1/budgets/2026").problem(404),
            server
                .get("/api/v1/budgets/1999")
                .problem(404)
                .replace("1999", "2026")
        );
        let printed = cli(&db, &["budget", "--year", "2026", "--at", "2027-01-15"]);
        assert!(
            printed.contains("IN ARREARS") && printed.contains("stayed out"),
            "{printed}"
        );

        // Quota posts for 2026–2028 by budget share; Kazakhstan renounces one, which stays
        // unfilled; the secretariat fills Kazakhstan's other.
        assert_eq!(
            adopt(&server, &delegations, "quota-2026", "decision", &[]),
            "adopted"
        );
        ok(
            "secretariat",
            Command::ApportionQuotaPosts(ApportionQuotaPosts {
                period: 2026,
                document: "quota-2026".parse().unwrap(),
            }),
        );
        let renounce = |member: &str| {
            Command::RenounceQuotaPost(RenounceQuotaPost {
                period: 2026,
                member: member.parse().unwrap(),
                posts: 1,
            })
        };
        refused("RUS", renounce("KAZ"), "wrong-signer");
        ok("KAZ", renounce("KAZ"));
        let fill = || {
            Command::FillQuotaPost(FillQuotaPost {
                period: 2026,
                member: "KAZ".parse().unwrap(),
                post: Text::new("Head of the legal department", "Начальник правового отдела"),
                holder: Text::new("A. Seitkali", "А. Сейткали"),
                from: "2026-03-01"
                    .parse::<concord_core::PartialDate>()
                    .unwrap()
                    .exact()
                    .unwrap(),
                until: "2028-12-31"
                    .parse::<concord_core::PartialDate>()
                    .unwrap()
                    .exact()
                    .unwrap(),
            })
        };
        ok("secretariat", fill());
        refused("secretariat", fill(), "no-quota-post-left");
        let quota = server.get_as(&kaz, "/api/v1/quota-posts/2027").json;
        let posts = |code: &str| {
            quota["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["member"] == code)
                .cloned()
                .unwrap()
        };
        assert_eq!(
            (quota["from"].as_i64(), quota["until"].as_i64()),
            (Some(2026), Some(2028))
        );
        assert_eq!(posts("RUS")["allotted"], 10);
        assert_eq!(
            (
                posts("KAZ")["allotted"].as_u64(),
                posts("KAZ")["renounced"].as_u64(),
                posts("KAZ")["vacant"].as_u64()
            ),
            (Some(2), Some(1), Some(0))
        );
        assert_eq!(posts("KAZ")["holders"][0]["until"], "2028-12-31");

        // Posts by the rule: the Secretary General's term in 2024 is Kazakhstan's.
        let sg = server
            .get("/api/v1/posts/secretary-general/holders?at=2024-06-01")
            .json;
        assert_eq!(sg["term"]["member"], "KAZ");
        assert_eq!(sg["term"]["from"], "2023-01-01");
        assert_eq!(
            sg["holder"]["appointment"]["person"]["name"]["en"],
            "Imangali Tasmagambetov"
        );
        assert_eq!(sg["holder"]["check"], "nationality-unknown");
        let cjs = server
            .get("/api/v1/posts/chief-of-joint-staff/holders?at=2024-06-01")
            .json;
        assert_eq!(cjs["holder"]["check"], "agrees");
        let printed = cli(&db, &["posts", "--at", "2027-02-01"]);
        assert!(
            printed.contains("a national of KGZ from 2026-01-01 to 2028-12-31")
                && printed.contains("A. Seitkali"),
            "{printed}"
        );

        // The chair's year: priorities stated by the chair, a programme linked to one, the
        // report generated and submitted by the chair for the report as generated.
        let chair = server.get("/api/v1/chairmanships/2026").json["member"]
            .as_str()
            .unwrap()
            .to_owned();
        let not_chair = if chair == "KAZ" { "KGZ" } else { "KAZ" };
        let priorities = |member: &str| {
            Command::StatePriorities(StatePriorities {
                year: 2026,
                chair: member.parse().unwrap(),
                motto: None,
                priorities: vec![Text::new("Secure borders", "Надёжные границы")],
            })
        };
        refused(not_chair, priorities(not_chair), "not-the-chair");
        ok(&chair, priorities(&chair));
        ok(
            "secretariat",
            Command::LinkPriority(LinkPriority {
                year: 2026,
                priority: 1,
                record: RecordRef::Programme("border-programme-2026".parse().unwrap()),
            }),
        );
        // A link to a confidential document is read only where the document is: not in the
        // public report, withheld in the public ledger.
        let secret_session = format!("csc-closed-{}", day(0));
        for command in [
            Command::OpenSession(concord_core::council::OpenSession {
                id: secret_session.parse().unwrap(),
                body: "csc".parse().unwrap(),
                date: day(0),
                city: Text::new("Moscow", "Москва"),
                country: "RUS".parse().unwrap(),
                venue: None,
                formats: vec![],
                confidential: true,
            }),
            Command::DraftDocument(concord_core::council::Draft {
                id: "closed-border-plan".parse().unwrap(),
                session: secret_session.parse().unwrap(),
                doc_type: "decision".parse().unwrap(),
                title: Text::new("Closed border plan", "Закрытый план"),
                text: Text::new("…", "…"),
            }),
            Command::LinkPriority(LinkPriority {
                year: 2026,
                priority: 1,
                record: RecordRef::Document("closed-border-plan".parse().unwrap()),
            }),
        ] {
            ok("secretariat", command);
        }
        let linked_at = server.get("/healthz").json["events"].as_u64().unwrap() - 2;
        let entry = &server
            .get(&format!(
                "/api/v1/ledger/entries?start={linked_at}&end={}",
                linked_at + 1
            ))
            .json[0];
        assert_eq!(entry["withheld"], true, "{} {entry}", db.backend);
        let public = server.get("/api/v1/annual-reports/2026").json;
        assert!(
            !public.to_string().contains("closed-border-plan")
                && !public.to_string().contains("Closed border plan"),
            "{public}"
        );
        let full = server
            .get_as(&secretariat, "/api/v1/annual-reports/2026")
            .json;
        assert_eq!(
            full["report"]["priorities"][0]["served_by"][1]["title"]["en"],
            "Closed border plan"
        );
        let report = server
            .get_as(&secretariat, "/api/v1/annual-reports/2026")
            .json;
        let sha = report["sha256"].as_str().unwrap().to_owned();
        assert_eq!(report["report"]["part"], "full");
        assert_eq!(
            report["report"]["priorities"][0]["served_by"][0]["record"]["programme"],
            "border-programme-2026"
        );
        assert!(report["report"]["budget"]["members"].is_array());
        let public = server.get("/api/v1/annual-reports/2026").json;
        assert_eq!(public["report"]["part"], "public");
        assert!(public["report"]["budget"].is_null() && public["report"]["incidents"].is_null());
        server
            .get("/api/v1/annual-reports/2026?part=full")
            .problem(403);
        let pdf = server.get_as(&secretariat, "/api/v1/annual-reports/2026/pdf");
        let pdf_again = server.get_as(&secretariat, "/api/v1/annual-reports/2026/pdf");
        assert_eq!(pdf.status, 200);
        assert_eq!(
            pdf.bytes, pdf_again.bytes,
            "the same record gives the same bytes"
        );
        assert_eq!(pdf.content_type, "application/pdf");
        assert!(pdf.bytes.starts_with(b"%PDF-") && pdf.text.contains("/FontFile2"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.pdf");
        let printed = cli(
            &db,
            &["report", "--year", "2026", "--pdf", file.to_str().unwrap()],
        );
        assert!(
            printed.contains(&sha),
            "the CLI states the same digest: {printed}"
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            pdf.bytes,
            "the CLI writes the same PDF as the API serves"
        );
        let submit = |member: &str, sha256: &str| {
            Command::SubmitAnnualReport(SubmitAnnualReport {
                year: 2026,
                chair: member.parse().unwrap(),
                sha256: sha256.to_owned(),
            })
        };
        refused(not_chair, submit(not_chair, &sha), "not-the-chair");
        refused(&chair, submit(&chair, &"0".repeat(64)), "report-changed");
        ok(&chair, submit(&chair, &sha));
        refused(&chair, submit(&chair, &sha), "already-exists");
        let answered = server
            .get_as(&secretariat, "/api/v1/annual-reports/2026")
            .json;
        assert_eq!(answered["submitted"]["report"]["sha256"], sha.as_str());
        assert_eq!(answered["matches_submitted"], true);
        // The press centre publishes the public part.
        let press = server.get("/press");
        assert!(
            press.text.contains("Годовой отчёт председательства")
                && press
                    .text
                    .contains("/api/v1/annual-reports/2026/pdf?part=public"),
            "{}",
            press.text
        );
        let public_pdf = server.get("/api/v1/annual-reports/2026/pdf?part=public&lang=ru");
        assert_eq!(public_pdf.status, 200);
        assert_ne!(
            public_pdf.bytes, pdf.bytes,
            "the public part is not the full report"
        );
        // The submission is on the ledger, for the public too.
        let size = server.get("/healthz").json["events"].as_u64().unwrap();
        let entries: Value = server
            .get(&format!(
                "/api/v1/ledger/entries?start={}&end={size}",
                size - 20
            ))
            .json;
        assert!(
            entries.to_string().contains(&sha),
            "{}: the submitted hash is a public ledger entry",
            db.backend
        );
    }
}

#[test]
fn an_extraordinary_session_by_videoconference_with_a_member_attending_by_video() {
    use concord_core::council::{AttendanceRecord, OpenSession};
    use concord_core::history::{Attendance, SessionFormat};
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let today = day(0);
        let id = format!("csc-extraordinary-{today}");
        let post = |owner: &str, command: Command| {
            post_json(
                &server.url("/api/v1/council/commands"),
                &delegations.sign(owner, command),
            )
        };
        let reply = post(
            "secretariat",
            Command::OpenSession(OpenSession {
                id: id.parse().unwrap(),
                body: "csc".parse().unwrap(),
                date: today,
                city: Text::new("Moscow", "Москва"),
                country: "RUS".parse().unwrap(),
                venue: None,
                formats: vec![SessionFormat::Extraordinary, SessionFormat::Videoconference],
                confidential: false,
            }),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
        // Kazakhstan's president joins by video: it records its own attendance.
        let reply = post(
            "KAZ",
            Command::RecordAttendance(AttendanceRecord {
                session: id.parse().unwrap(),
                member: "KAZ".parse().unwrap(),
                attendance: Attendance::PresentByVideo,
            }),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
        let session = server.get(&format!("/api/v1/sessions/{id}")).json;
        assert_eq!(
            session["formats"],
            serde_json::json!(["extraordinary", "videoconference"]),
            "{}",
            db.backend
        );
        assert_eq!(session["attendance"]["KAZ"], "present-by-video");
        let printed = cli(&db, &["sessions", "--year", &today.year().to_string()]);
        assert!(printed.contains(&id), "{printed}");
    }
}

/// Writes `owner`'s key file as `concord keys generate` would (owner-only).
fn key_file(delegations: &Delegations, dir: &std::path::Path, owner: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("{owner}.key"));
    std::fs::write(&path, delegations.key_file(owner)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn the_years_steps_signed_on_the_command_line() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let delegations = Delegations::register(&db);
        let dir = tempfile::tempdir().unwrap();
        let secretariat = key_file(&delegations, dir.path(), "secretariat");
        let kaz = key_file(&delegations, dir.path(), "KAZ");
        let chair = server.get("/api/v1/chairmanships/2026").json["member"]
            .as_str()
            .unwrap()
            .to_owned();
        let chair_key = key_file(&delegations, dir.path(), &chair);
        assert_eq!(
            adopt(&server, &delegations, "cli-programme", "action-plan", &[]),
            "adopted"
        );
        assert_eq!(
            adopt(&server, &delegations, "cli-budget", "budget", &[]),
            "adopted"
        );
        assert_eq!(
            adopt(&server, &delegations, "cli-quota", "decision", &[]),
            "adopted"
        );
        let deadline = day(-3).to_string();
        let today = day(0).to_string();
        for (key, args) in [
            (
                &secretariat,
                vec![
                    "programme-item",
                    "--programme",
                    "cli-programme",
                    "--number",
                    "1",
                    "--title-en",
                    "Joint drill",
                    "--title-ru",
                    "Совместное учение",
                    "--responsible",
                    "KAZ",
                    "--deadline",
                    deadline.as_str(),
                    "--funding",
                    "25000.50",
                    "--currency",
                    "RUB",
                ],
            ),
            (
                &kaz,
                vec![
                    "progress",
                    "--programme",
                    "cli-programme",
                    "--item",
                    "1",
                    "--status",
                    "in-progress",
                    "--percent",
                    "60",
                    "--note-en",
                    "Planned",
                    "--note-ru",
                    "Спланировано",
                ],
            ),
            (
                &secretariat,
                vec![
                    "budget",
                    "--year",
                    "2026",
                    "--document",
                    "cli-budget",
                    "--currency",
                    "RUB",
                    "--total",
                    "2000000.00",
                ],
            ),
            (
                &secretariat,
                vec![
                    "payment",
                    "--year",
                    "2026",
                    "--member",
                    "KAZ",
                    "--amount",
                    "200000.00",
                    "--received-on",
                    today.as_str(),
                ],
            ),
            (
                &secretariat,
                vec![
                    "quota-apportion",
                    "--period",
                    "2026",
                    "--document",
                    "cli-quota",
                ],
            ),
            (&kaz, vec!["quota-renounce", "--period", "2026"]),
            (
                &chair_key,
                vec![
                    "priorities",
                    "--year",
                    "2026",
                    "--priority-en",
                    "Secure borders",
                    "--priority-ru",
                    "Надёжные границы",
                ],
            ),
            (
                &secretariat,
                vec![
                    "link",
                    "--year",
                    "2026",
                    "--priority",
                    "1",
                    "--record",
                    "programme:cli-programme",
                ],
            ),
            (&chair_key, vec!["submit-report", "--year", "2026"]),
        ] {
            let mut all = vec!["year", "--key", key.as_str()];
            all.extend(args.iter().copied());
            let printed = cli(&db, &all);
            assert!(
                printed.contains("recorded"),
                "{} {all:?}: {printed}",
                db.backend
            );
        }
        // A member's key cannot set the budget: refused, named, nothing recorded.
        let out = Process::new(env!("CARGO_BIN_EXE_concord"))
            .args([
                "--database",
                &db.url,
                "year",
                "--key",
                &kaz,
                "payment",
                "--year",
                "2026",
                "--member",
                "KAZ",
                "--amount",
                "1.00",
                "--received-on",
                &today,
            ])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("wrong-signer"),
            "{out:?}"
        );
        let programme = server.get("/api/v1/programmes/cli-programme").json;
        assert_eq!(programme["items"][0]["overdue"], true, "{programme}");
        assert_eq!(
            programme["items"][0]["item"]["funding"]["amount"],
            "25000.50"
        );
        let listed = cli(&db, &["budget", "--year", "2026"]);
        assert!(
            listed.contains("KAZ  assessed        200000.00  paid        200000.00"),
            "{listed}"
        );
        let report = server.get("/api/v1/annual-reports/2026").json;
        assert_eq!(
            report["submitted"]["report"]["chair"],
            chair.as_str(),
            "{report}"
        );
    }
}
