//! The council's procedure as a new user drives it through the `concord` binary: keys
//! generated and registered, a session opened, a declaration drafted and circulated,
//! agreed by five members while the sixth is frozen, adopted, exported and verified
//! offline; then any altered byte makes `concord verify` fail and say where.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TestDatabase;

fn concord(db: &TestDatabase, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_concord"))
        .current_dir(dir)
        .arg("--database")
        .arg(&db.url)
        .args(args)
        .env_remove("CONCORD_DATABASE")
        .env_remove("CONCORD_LOG_KEY")
        .env_remove("CONCORD_KEY")
        .output()
        .expect("concord runs")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "concord failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(out: Output) -> String {
    assert!(
        !out.status.success(),
        "expected a refusal: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// The one key file in `dir/keys` of `owner`.
fn key_of(dir: &Path, owner: &str, ext: &str) -> String {
    std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with(&format!("{owner}-")) && name.ends_with(ext)
        })
        .unwrap_or_else(|| panic!("no {ext} key for {owner}"))
        .display()
        .to_string()
}

/// Generates and registers, from today, a key for each owner; returns what each
/// registration printed.
fn register_keys(db: &TestDatabase, dir: &Path, owners: &[&str]) -> Vec<String> {
    let today = time::OffsetDateTime::now_utc().date().to_string();
    owners
        .iter()
        .map(|owner| {
            ok(concord(
                db,
                dir,
                &["keys", "generate", "--owner", owner, "--out", "keys"],
            ));
            let public = key_of(dir, owner, ".pub");
            ok(concord(
                db,
                dir,
                &["keys", "register", &public, "--from", &today],
            ))
        })
        .collect()
}

fn verify(db: &TestDatabase, dir: &Path, file: &str) -> Output {
    concord(db, dir, &["verify", file, "--keys", "trusted"])
}

#[test]
fn a_declaration_is_adopted_by_five_while_the_sixth_is_frozen_and_verifies_offline() {
    for db in TestDatabase::all() {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        ok(concord(&db, dir, &["init"]));
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let owners = ["secretariat", "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];
        for out in register_keys(&db, dir, &owners) {
            // The demo key made by init is rotated out, not erased.
            assert!(out.contains("rotated out"), "{out}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_of(dir, "KAZ", ".key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "secret keys are owner-only");
        }
        let secretariat = key_of(dir, "secretariat", ".key");
        let step = |args: &[&str]| {
            let mut all = vec!["council", "--key", &secretariat];
            all.extend_from_slice(args);
            concord(&db, dir, &all)
        };
        let session = format!("csc-{today}");
        let document = format!("declaration-{today}");
        let out = ok(step(&[
            "open",
            "--id",
            &session,
            "--body",
            "csc",
            "--date",
            &today,
            "--city-en",
            "Moscow",
            "--city-ru",
            "Москва",
            "--country",
            "RUS",
        ]));
        assert!(out.contains("session-recorded"), "{out}");
        ok(step(&[
            "agenda",
            "--session",
            &session,
            "--number",
            "1",
            "--en",
            "Collective security",
            "--ru",
            "Коллективная безопасность",
        ]));
        ok(step(&[
            "draft",
            "--id",
            &document,
            "--session",
            &session,
            "--type",
            "declaration",
            "--title-en",
            "Moscow Declaration",
            "--title-ru",
            "Московская декларация",
            "--text-en",
            "The member states reaffirm their commitment.",
            "--text-ru",
            "Государства-члены подтверждают приверженность.",
        ]));
        // A member cannot drive the procedure.
        let err = refused(concord(
            &db,
            dir,
            &[
                "council",
                "--key",
                &key_of(dir, "KAZ", ".key"),
                "circulate",
                "--document",
                &document,
                "--version",
                "1",
            ],
        ));
        assert!(err.contains("wrong-signer"), "{err}");
        ok(step(&[
            "circulate",
            "--document",
            &document,
            "--version",
            "1",
        ]));

        let position = |owner: &str| {
            concord(
                &db,
                dir,
                &[
                    "council",
                    "--key",
                    &key_of(dir, owner, ".key"),
                    "position",
                    "--document",
                    &document,
                    "--stance",
                    "agree",
                ],
            )
        };
        let err = refused(position("ARM"));
        assert!(err.contains("frozen-member"), "{err}");
        for owner in ["BLR", "KAZ", "KGZ", "RUS"] {
            ok(position(owner));
        }
        let err = refused(step(&["decide", "--document", &document]));
        assert!(err.contains("awaiting TJK"), "{err}");
        ok(position("TJK"));
        // A second position of the same member on the same version (a new seal: not a replay).
        let err = refused(position("TJK"));
        assert!(err.contains("position-already-stated"), "{err}");
        let err = refused(concord(
            &db,
            dir,
            &[
                "council",
                "--key",
                &key_of(dir, "TJK", ".key"),
                "position",
                "--document",
                &document,
                "--stance",
                "object",
                "--reason",
                "second thoughts",
            ],
        ));
        assert!(err.contains("position-already-stated"), "{err}");
        let out = ok(step(&["decide", "--document", &document]));
        assert!(out.contains("document-decided"), "{out}");

        let sessions = ok(concord(
            &db,
            dir,
            &["sessions", "--year", &today[..4], "--json"],
        ));
        let sessions: serde_json::Value = serde_json::from_str(&sessions).unwrap();
        let ours = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == session.as_str())
            .unwrap();
        assert_eq!(ours["chair"], "RUS", "the rotation gives the chair: {ours}");
        assert_eq!(ours["attendance"]["ARM"], "frozen");
        assert_eq!(ours["documents"][0]["status"], "adopted", "{ours}");

        ok(concord(
            &db,
            dir,
            &["bundle", "export", &document, "--out", "bundle.json"],
        ));
        ok(concord(&db, dir, &["keys", "export", "trusted"]));
        let out = ok(verify(&db, dir, "bundle.json"));
        assert!(
            out.contains("verified") && out.contains("5 member signatures valid"),
            "{out}"
        );

        // The history's documents verify the same way (signed with init's demo keys).
        ok(concord(
            &db,
            dir,
            &[
                "bundle",
                "export",
                "2023-minsk-declaration",
                "--out",
                "minsk.json",
            ],
        ));
        let out = ok(verify(&db, dir, "minsk.json"));
        assert!(out.contains("6 member signatures valid"), "{out}");

        // Any changed byte fails: sample positions across the whole file.
        let bytes = std::fs::read(dir.join("bundle.json")).unwrap();
        let step_size = (bytes.len() / 40).max(1);
        for at in (0..bytes.len()).step_by(step_size) {
            let mut altered = bytes.clone();
            altered[at] = if altered[at] == b'0' { b'1' } else { b'0' };
            std::fs::write(dir.join("altered.json"), &altered).unwrap();
            let out = verify(&db, dir, "altered.json");
            assert!(
                !out.status.success(),
                "byte {at} changed and verify passed ({})",
                db.backend
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("altered.json"),
                "verify says which file: {err}"
            );
        }
        // And one in the text says it is the text.
        let text = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("reaffirm", "reaffirN", 1);
        std::fs::write(dir.join("altered.json"), text).unwrap();
        let err = refused(verify(&db, dir, "altered.json"));
        assert!(err.contains("version: the text hashes to"), "{err}");

        // Without the right keys nothing verifies.
        std::fs::remove_file(dir.join("trusted").join(format!(
                "{}.json",
                key_of(dir, "KGZ", ".pub")
                    .rsplit('-')
                    .next()
                    .unwrap()
                    .trim_end_matches(".pub")
            )))
        .unwrap();
        let err = refused(verify(&db, dir, "bundle.json"));
        assert!(
            err.contains("ballots[KGZ]") && err.contains("not among the trusted keys"),
            "{err}"
        );
    }
}

#[test]
fn an_alert_is_imported_signed_listed_exported_as_valid_cap_and_audited() {
    for db in TestDatabase::all() {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        ok(concord(&db, dir, &["init"]));
        register_keys(&db, dir, &["secretariat", "KAZ"]);
        let kaz = key_of(dir, "KAZ", ".key");
        let signatures = || {
            let audit: serde_json::Value =
                serde_json::from_str(&ok(concord(&db, dir, &["audit", "--json"]))).unwrap();
            assert_eq!(audit["ok"], true, "{audit}");
            audit["signatures"].as_u64().unwrap()
        };
        let before = signatures();
        let sample = common::cap_sample("eccc-2022-10-10-air-quality-bc.xml");
        std::fs::write(dir.join("feed.xml"), &sample).unwrap();
        let out = ok(concord(
            &db,
            dir,
            &[
                "alerts",
                "import",
                "feed.xml",
                "--key",
                &kaz,
                "--id",
                "kaz-eccc-2051382770",
            ],
        ));
        assert!(out.contains("issue-alert signed by KAZ"), "{out}");
        assert!(out.contains("alert-issued"), "{out}");

        std::fs::write(
            dir.join("old.xml"),
            common::cap_sample("nws-2015-08-15-flood-warning-cap-1.1.xml"),
        )
        .unwrap();
        let err = refused(concord(
            &db,
            dir,
            &[
                "alerts",
                "import",
                "old.xml",
                "--key",
                &kaz,
                "--id",
                "kaz-nws-old",
            ],
        ));
        assert!(
            err.contains("this is CAP 1.1; Concord takes CAP 1.2"),
            "{err}"
        );
        let err = refused(concord(
            &db,
            dir,
            &[
                "alerts",
                "import",
                "feed.xml",
                "--key",
                &kaz,
                "--id",
                "kaz-narrowed",
                "--releasability",
                "members",
            ],
        ));
        assert!(err.contains("refused (cap-scope-mismatch)"), "{err}");

        let list = ok(concord(&db, dir, &["alerts", "list"]));
        assert!(list.contains("kaz-eccc-2051382770"), "{list}");
        assert!(
            list.contains("special air quality statement in effect"),
            "{list}"
        );
        assert!(!list.contains("narrowed"), "{list}");

        ok(concord(
            &db,
            dir,
            &["alerts", "export", "kaz-eccc-2051382770", "-o", "out.xml"],
        ));
        let exported = std::fs::read_to_string(dir.join("out.xml")).unwrap();
        assert_eq!(
            concord_cap::parse(exported.as_bytes()).unwrap(),
            concord_cap::parse(sample.as_bytes()).unwrap()
        );
        if let Some(valid) = common::cap_schema_errors(&exported) {
            valid.unwrap();
        }

        assert_eq!(
            signatures(),
            before + 1,
            "the audit checks the alert's signature"
        );
    }
}

#[test]
fn a_duty_officer_reports_an_incident_and_its_new_version_from_the_command_line() {
    for db in TestDatabase::all() {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        ok(concord(&db, dir, &["init"]));
        register_keys(&db, dir, &["secretariat", "TJK"]);
        let tjk = key_of(dir, "TJK", ".key");
        let report = |title: &str, severity: &str, domain: &str| {
            let args = [
                "incidents",
                "report",
                "--key",
                &tjk,
                "--id",
                "tjk-2026-000017",
                "--domain",
                domain,
                "--country",
                "TJK",
                "--point",
                "68.6,37.3",
                "--severity",
                severity,
                "--urgency",
                "Immediate",
                "--certainty",
                "Observed",
                "--title",
                title,
                "--text",
                "A caravan crossed the Panj at night.",
                "--releasability",
                "members",
            ];
            concord(&db, dir, &args)
        };
        let out = ok(report("Caravan on the Panj", "Severe", "drug-trafficking"));
        assert!(out.contains("report-incident signed by TJK"), "{out}");
        ok(report(
            "Caravan on the Panj, 400 kg seized",
            "Severe",
            "drug-trafficking",
        ));
        let list = ok(concord(&db, dir, &["incidents", "list"]));
        assert!(list.contains("tjk-2026-000017"), "{list}");
        assert!(list.contains("v2"), "the latest version is listed: {list}");
        assert!(list.contains("400 kg seized"), "{list}");

        // Bad input: a clear message, nothing recorded.
        let err = refused(report("x", "Bad", "drug-trafficking"));
        assert!(
            err.contains("--severity: `Bad` is not one of Extreme, Severe"),
            "{err}"
        );
        let err = refused(concord(
            &db,
            dir,
            &[
                "incidents",
                "report",
                "--key",
                &key_of(dir, "secretariat", ".key"),
                "--id",
                "s-1",
                "--domain",
                "drug-trafficking",
                "--country",
                "TJK",
                "--point",
                "68.6,37.3",
                "--severity",
                "Minor",
                "--urgency",
                "Past",
                "--certainty",
                "Observed",
                "--title",
                "t",
                "--text",
                "t",
                "--releasability",
                "members",
            ],
        ));
        assert!(err.contains("with a member's key"), "{err}");
        let err = refused(report("x", "Minor", "piracy"));
        assert!(err.contains("refused (invalid-report)"), "{err}");
        let list = ok(concord(&db, dir, &["incidents", "list"]));
        assert_eq!(list.lines().count(), 1, "{list}");
    }
}
