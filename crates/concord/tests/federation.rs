//! The federation, as separate `concord serve` processes with their own databases: the
//! secretariat's node, Kazakhstan's, Kyrgyzstan's (on PostgreSQL where it can be reached)
//! and Belarus's. A report released to Central Asia reaches Kyrgyzstan and never Belarus's
//! disk; a report to all members reaches every node; Belarus stopped misses nothing once it
//! is back; a frozen member's node receives nothing; forged entries, rewritten histories and
//! two checkpoints of one size are refused and recorded.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output};
use std::time::{Duration, Instant};

use common::{TestDatabase, call, open_account, request, tokens};
use serde_json::Value;

/// One node: its database, its folder (keys), its port, and its process while it runs.
struct Node {
    code: &'static str,
    db: TestDatabase,
    dir: tempfile::TempDir,
    port: u16,
    /// Where it serves other nodes, over TLS.
    federation_port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    fn new(code: &'static str, db: TestDatabase) -> Node {
        Node {
            code,
            db,
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            federation_port: free_port(),
            child: None,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its federation address, which peers pull from.
    fn federation(&self) -> String {
        format!("https://127.0.0.1:{}", self.federation_port)
    }

    /// Runs `concord --database … ARGS` in the node's folder.
    fn cli(&self, args: &[&str]) -> Output {
        Process::new(env!("CARGO_BIN_EXE_concord"))
            .arg("--database")
            .arg(&self.db.url)
            .args(args)
            .current_dir(self.dir.path())
            .env("CONCORD_LOG", "warn")
            .env_remove("CONCORD_DATABASE")
            .output()
            .unwrap()
    }

    /// [`Node::cli`], which must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{}: concord {args:?} failed: {}{}",
            self.code,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts `concord serve`, pulling from `peers` every 200 ms.
    fn start(&mut self, peers: &[String]) {
        let mut command = Process::new(env!("CARGO_BIN_EXE_concord"));
        command
            .arg("--database")
            .arg(&self.db.url)
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args([
                "--federation-listen",
                &format!("127.0.0.1:{}", self.federation_port),
            ])
            .args(["--pull-every-ms", "200"])
            .args(peers.iter().flat_map(|p| ["--peer", p.as_str()]))
            .current_dir(self.dir.path());
        let (child, _) = common::spawn_serving(command, self.code);
        self.child = Some(child);
    }

    /// Stops the process (as a cut link would, from the others' side).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The bytes of its database file(s), for a SQLite node.
    fn file_bytes(&self) -> Vec<u8> {
        let path = PathBuf::from(self.db.url.trim_start_matches("sqlite://"));
        let mut bytes = vec![];
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if let Ok(b) = std::fs::read(&file) {
                bytes.extend(b);
            }
        }
        assert!(!bytes.is_empty(), "{} has no database file", self.code);
        bytes
    }

    /// GET `path` as the bearer of `token`.
    fn get(&self, token: &str, path: &str) -> Value {
        common::get_as(&format!("{}{path}", self.url()), token).json
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The data of each `incident-reported` event on `node`'s live stream, read as `token`'s
/// holder.
fn watch_data(node: &Node, token: &str) -> std::sync::mpsc::Receiver<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let response = agent
        .get(format!("{}/api/v1/stream", node.url()))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut kind = String::new();
        for line in BufReader::new(response.into_body().into_reader()).lines() {
            let Ok(line) = line else { return };
            if let Some(v) = line.strip_prefix("event:") {
                kind = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:")
                && kind == "incident-reported"
                && tx.send(v.trim().to_owned()).is_err()
            {
                return;
            }
        }
    });
    rx
}

/// A member state's node, made and registered as on an air-gapped network: its
/// registration (`nodes self`) carried to the secretariat's node as a file. Not started.
fn registered_by_hand(code: &'static str, secretariat: &Node) -> Node {
    let node = Node::new(code, TestDatabase::sqlite());
    let keys = secretariat_keys(secretariat);
    node.ok(&[&["init", "--node", code][..], &keys.args()].concat());
    let registration = node.ok(&["nodes", "self"]);
    let file = node.dir.path().join("node.json");
    std::fs::write(&file, registration).unwrap();
    let file = file.to_str().unwrap();
    secretariat.ok(&["nodes", "register", "--file", file, "--owner", code]);
    node
}

/// The secretariat's log key and node key, as a member state's node is initialised with.
struct SecretariatKeys {
    origin: String,
    log_key: String,
    node_key: String,
}

impl SecretariatKeys {
    fn args(&self) -> [&str; 4] {
        [
            "--secretariat-log-key",
            &self.log_key,
            "--secretariat-node-key",
            &self.node_key,
        ]
    }
}

fn secretariat_keys(secretariat: &Node) -> SecretariatKeys {
    let node = request(
        "GET",
        &format!("{}/api/v1/federation/node", secretariat.url()),
    );
    SecretariatKeys {
        origin: node.json["origin"].as_str().unwrap().to_owned(),
        log_key: node.json["log_key"].as_str().unwrap().to_owned(),
        node_key: node.json["node_key"].as_str().unwrap().to_owned(),
    }
}

/// Waits until `ready` holds, for at most 30 s.
fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The ids of the incident reports `token` reads on `node`.
fn report_ids(node: &Node, token: &str) -> Vec<String> {
    node.get(token, "/api/v1/incidents")
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["report"]["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Files a report on `node` with its state's key file `key`.
fn report(node: &Node, key: &Path, id: &str, text: &str, release: &str) {
    node.ok(&[
        "incidents",
        "report",
        "--key",
        key.to_str().unwrap(),
        "--id",
        id,
        "--domain",
        "drug-trafficking",
        "--country",
        node.code,
        "--point",
        "71.43,51.13",
        "--severity",
        "Severe",
        "--urgency",
        "Immediate",
        "--certainty",
        "Observed",
        "--title",
        "Consignment seized at the border",
        "--text",
        text,
        "--releasability",
        release,
    ]);
}

/// A delegation key made on `node` and registered on the secretariat's node: the `.key`.
fn delegation_key(node: &Node, secretariat: &Node) -> PathBuf {
    key_of(node.code, node, secretariat)
}

/// A key of `owner` made in `node`'s folder and registered on the secretariat's node: the
/// `.key`.
fn key_of(owner: &str, node: &Node, secretariat: &Node) -> PathBuf {
    let out = node.ok(&["keys", "generate", "--owner", owner, "--out", "keys"]);
    let public = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("public: "))
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let public = node.dir.path().join(public);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    secretariat.ok(&[
        "keys",
        "register",
        public.to_str().unwrap(),
        "--from",
        &today,
    ]);
    public.with_extension("key")
}

#[test]
fn a_federation_of_four_nodes_shares_only_what_is_released() {
    let mut secretariat = Node::new("secretariat", TestDatabase::sqlite());
    let mut kaz = Node::new("KAZ", TestDatabase::sqlite());
    // One node on PostgreSQL, where it can be reached (required in CI).
    let kgz_db = TestDatabase::postgres().unwrap_or_else(TestDatabase::sqlite);
    let mut kgz = Node::new("KGZ", kgz_db);
    let mut blr = Node::new("BLR", TestDatabase::sqlite());
    let urls = [&secretariat, &kaz, &kgz, &blr].map(Node::federation);
    let others = |me: &str| -> Vec<String> { urls.iter().filter(|u| *u != me).cloned().collect() };

    secretariat.start(&others(&secretariat.federation()));
    let secretariat_keys = secretariat_keys(&secretariat);
    for node in [&mut kaz, &mut kgz, &mut blr] {
        node.ok(&[&["init", "--node", node.code][..], &secretariat_keys.args()].concat());
        let peers = others(&node.federation());
        node.start(&peers);
        let out = secretariat.ok(&[
            "nodes",
            "register",
            "--from",
            &node.url(),
            "--owner",
            node.code,
        ]);
        assert!(out.contains("registered"), "{out}");
    }
    let kaz_key = delegation_key(&kaz, &secretariat);

    // The registry reaches Kazakhstan's node: its delegation's key, the members' statuses.
    let kaz_key_id = kaz_key
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .trim_start_matches("KAZ-")
        .to_owned();
    eventually("Kazakhstan's node knows its delegation's key", || {
        let keys = request("GET", &format!("{}/api/v1/keys", kaz.url()));
        keys.json
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k["key_id"] == kaz_key_id.as_str()))
    });

    // Kyrgyzstan's duty officer watches the live stream before Kazakhstan reports.
    let kgz_token = tokens(&kgz.db, "duty-officer", &["KGZ"]).remove(0);
    let live = watch_data(&kgz, &kgz_token);
    let secret_text = "night convoy seen near Khorgos, for Central Asia only";
    report(
        &kaz,
        &kaz_key,
        "kaz-2026-000101",
        secret_text,
        "group:central-asia",
    );
    report(
        &kaz,
        &kaz_key,
        "kaz-2026-000102",
        "a seizure every member should know of",
        "members",
    );

    let mut arrived = String::new();
    while !(arrived.contains("kaz-2026-000101") && arrived.contains("kaz-2026-000102")) {
        arrived += &live
            .recv_timeout(Duration::from_secs(30))
            .expect("both reports arrive live on Kyrgyzstan's stream");
    }
    eventually("Kyrgyzstan's node has both reports", || {
        let ids = report_ids(&kgz, &kgz_token);
        ids.contains(&"kaz-2026-000101".to_owned()) && ids.contains(&"kaz-2026-000102".to_owned())
    });
    let blr_token = tokens(&blr.db, "duty-officer", &["BLR"]).remove(0);
    eventually("Belarus's node has the members' report", || {
        report_ids(&blr, &blr_token).contains(&"kaz-2026-000102".to_owned())
    });
    let sec_token = tokens(&secretariat.db, "secretariat-officer", &["secretariat"]).remove(0);
    eventually("the secretariat's node has the members' report", || {
        report_ids(&secretariat, &sec_token).contains(&"kaz-2026-000102".to_owned())
    });
    // Every node pulled Kazakhstan's log at least up to the members' report, from
    // Kazakhstan or through another node: the Central Asian report is not on Belarus's
    // disk (nor on the secretariat's: the secretariat does not read group releases), only
    // its leaf hash, which proofs need.
    assert!(!report_ids(&blr, &blr_token).contains(&"kaz-2026-000101".to_owned()));
    assert!(
        !contains(&blr.file_bytes(), secret_text),
        "the Central Asian report is on Belarus's disk"
    );
    assert!(!contains(&secretariat.file_bytes(), secret_text));
    assert!(
        contains(&kaz.file_bytes(), secret_text),
        "the test looks for the wrong bytes"
    );
    sender_gives_each_state_what_it_may_read(&kaz, &kgz, &blr, secret_text);
    duty_officer_sees_the_peers(&kgz, &kgz_token, &kaz.federation());
    a_position_signed_on_kazakhstans_node_counts_at_the_secretariat(
        &secretariat,
        &kaz,
        &kgz,
        &kaz_key,
    );
    let status = blr.ok(&["sync", "status", "--json"]);
    let status: Value = serde_json::from_str(&status).unwrap();
    assert!(
        status["refusals"].as_array().unwrap().is_empty(),
        "{status}"
    );

    // Belarus cut off: the others go on; back, it catches up.
    blr.stop();
    report(
        &kaz,
        &kaz_key,
        "kaz-2026-000103",
        "while Belarus was away",
        "members",
    );
    eventually(
        "Kyrgyzstan's node has the report made while Belarus was away",
        || report_ids(&kgz, &kgz_token).contains(&"kaz-2026-000103".to_owned()),
    );
    let peers = others(&blr.federation());
    blr.start(&peers);
    eventually("Belarus's node caught up", || {
        report_ids(&blr, &blr_token).contains(&"kaz-2026-000103".to_owned())
    });
    assert!(!contains(&blr.file_bytes(), secret_text));

    // A frozen member's node (Armenia's participation is frozen in the demo registry)
    // receives nothing.
    let arm = registered_by_hand("ARM", &secretariat);
    // (The secretariat's node takes a new node's key for TLS within a second.)
    eventually("Armenia's node is told it receives nothing", || {
        let pulled = arm.cli(&["sync", "pull", "--peer", &secretariat.federation()]);
        let said = String::from_utf8_lossy(&pulled.stderr);
        assert!(!pulled.status.success(), "Armenia's node pulled");
        said.contains("receives nothing")
    });
    assert_eq!(
        arm.ok(&["sync", "status"]).trim(),
        "",
        "Armenia's node holds no log"
    );

    // Forged, rewritten and equivocating pages are refused, recorded, and nothing of them kept.
    tampered_pages_are_refused(&kaz, &kgz, &secretariat);

    // A node that serves another history over the network: Belarus's node, its stored tree
    // altered on its disk and restarted, signs a checkpoint of a size the others hold with
    // another root. Kyrgyzstan's node refuses it from Belarus and keeps the proof.
    blr.stop();
    common::block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&blr.db.url).await.unwrap();
        sqlx::query("UPDATE ledger_hashes SET hash = zeroblob(32)")
            .execute(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
    });
    let peers = others(&blr.federation());
    blr.start(&peers);
    eventually("Kyrgyzstan's node refused Belarus's other history", || {
        let status: Value = serde_json::from_str(&kgz.ok(&["sync", "status", "--json"])).unwrap();
        status["refusals"].as_array().unwrap().iter().any(|r| {
            r["peer"] == blr.federation().as_str()
                && r["reason"].as_str().unwrap().contains("two histories")
        })
    });
}

/// Kyrgyzstan's duty officer sees each peer's state: over the API, and on the console's
/// federation page in Russian.
fn duty_officer_sees_the_peers(kgz: &Node, token: &str, kaz_url: &str) {
    let peers = kgz.get(token, "/api/v1/federation/peers");
    let kaz = peers["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["url"] == kaz_url)
        .unwrap_or_else(|| panic!("{peers}"));
    assert_eq!(kaz["owner"], "KAZ", "{peers}");
    assert!(kaz["witnessed"].as_u64().unwrap() >= 2, "{peers}");
    // Kyrgyzstan's node serves the checkpoints of the logs it mirrors cosigned as a witness
    // (C2SP tlog-cosignature), verifiable with its registered node key.
    let kgz_node = request("GET", &format!("{}/api/v1/federation/node", kgz.url()));
    let kgz_key =
        concord_ledger::signature::PublicKey::parse(kgz_node.json["node_key"].as_str().unwrap())
            .unwrap();
    let witness =
        concord_core::federation::cosigner_name(kgz_node.json["origin"].as_str().unwrap());
    let heads = request(
        "GET",
        &format!("{}/api/v1/federation/checkpoints", kgz.url()),
    );
    let mirrored: Vec<&Value> = heads.json.as_array().unwrap().iter().skip(1).collect();
    assert!(mirrored.len() >= 3, "{}", heads.text);
    for head in mirrored {
        let note = head["note"].as_str().unwrap();
        let at = concord_ledger::cosignature::verify(note, &witness, &kgz_key).unwrap();
        assert!(at.is_some(), "not cosigned: {note}");
    }
    assert!(kaz["last_contact"].is_string(), "{peers}");
    open_account(
        &kgz.db,
        "kg.duty",
        "KGZ",
        &[concord_core::accounts::Role::DutyOfficer],
        concord_core::accounts::Language::Ru,
    );
    let login = format!("{}/login", kgz.url());
    let form = call("GET", &login, &[], &[], None);
    let csrf_cookie = form.cookie("concord_login_csrf").unwrap();
    let done = call(
        "POST",
        &login,
        &[("concord_login_csrf", &csrf_cookie)],
        &[],
        Some(&[
            ("username", "kg.duty"),
            ("password", "correct horse battery"),
            ("csrf", &form.csrf()),
        ]),
    );
    let session = done.cookie("concord_session").expect("signed in");
    let page = call(
        "GET",
        &format!("{}/federation", kgz.url()),
        &[("concord_session", &session)],
        &[],
        None,
    );
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Последняя связь"), "{}", page.body);
    assert!(page.body.contains(kaz_url), "{}", page.body);
    let unsigned = request("GET", &format!("{}/api/v1/federation/peers", kgz.url()));
    assert_eq!(unsigned.status, 401);
}

/// What Kazakhstan's node serves each node asking for its log, signed with that node's key:
/// Kyrgyzstan gets the Central Asian report, Belarus only its leaf hash; an unsigned or
/// badly signed request gets nothing.
fn sender_gives_each_state_what_it_may_read(kaz: &Node, kgz: &Node, blr: &Node, secret: &str) {
    let kaz_node: Value = serde_json::from_str(&kaz.ok(&["nodes", "self"])).unwrap();
    let kaz_origin = kaz_node["origin"].as_str().unwrap();
    let kaz_key =
        concord_ledger::signature::PublicKey::parse(kaz_node["node_key"].as_str().unwrap())
            .unwrap()
            .to_bytes();
    let target = format!(
        "/api/v1/federation/leaves?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("origin", kaz_origin)
            .append_pair("start", "0")
            .finish()
    );
    let key_of = |node: &Node| -> (concord_ledger::signature::SecretKey, String) {
        let me: Value = serde_json::from_str(&node.ok(&["nodes", "self"])).unwrap();
        let text = std::fs::read_to_string(node.dir.path().join("concord-node.key")).unwrap();
        let (key, _) = concord_ledger::signature::SecretKey::from_file_text(&text).unwrap();
        (key, me["origin"].as_str().unwrap().to_owned())
    };
    // Over TLS with `key`, signed as `origin` with `signer` (unsigned if `None`).
    let ask = |key: &concord_ledger::signature::SecretKey,
               signed: Option<String>,
               path: &str|
     -> Result<Value, String> {
        let known = std::sync::Arc::new(concord_server::federation_tls::KnownNodes::default());
        known.set([kaz_key]);
        let tls = concord_server::federation_tls::client_config(key, known).unwrap();
        let url = format!("{}{path}", kaz.federation());
        common::block_on(concord::sync::http::get_json_tls::<Value>(
            &url, signed, tls,
        ))
        .map(|(v, _)| v)
    };
    let page_for = |node: &Node| -> String {
        let (key, origin) = key_of(node);
        let header = concord_server::federation::sign_request(&key, &origin, kaz_origin, &target);
        ask(&key, Some(header), &target).unwrap().to_string()
    };
    let kgz_page = page_for(kgz);
    assert!(
        kgz_page.contains(secret),
        "Kyrgyzstan is not given the Central Asian report"
    );
    let blr_page = page_for(blr);
    assert!(
        !blr_page.contains(secret),
        "Belarus is given the Central Asian report"
    );
    let hashes = |page: &str| -> Vec<Value> {
        serde_json::from_str::<Value>(page).unwrap()["leaves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["leaf_hash"].clone())
            .collect()
    };
    assert_eq!(
        hashes(&kgz_page),
        hashes(&blr_page),
        "every leaf hash goes to every node"
    );
    // Unsigned; signed by Belarus for another moment; made over Kyrgyzstan's connection
    // but signed by Belarus: refused alike.
    let (blr_key, blr_origin) = key_of(blr);
    let refused = ask(&blr_key, None, &target).unwrap_err();
    assert!(refused.contains("401"), "{refused}");
    let header =
        concord_server::federation::sign_request(&blr_key, &blr_origin, kaz_origin, &target);
    let parts: Vec<&str> = header.split(' ').collect();
    let stale = format!("{} 2020-01-01T00:00:00Z {}", parts[0], parts[2]);
    let refused = ask(&blr_key, Some(stale), &target).unwrap_err();
    assert!(refused.contains("401"), "{refused}");
    let (kgz_key, _) = key_of(kgz);
    let refused = ask(&kgz_key, Some(header), &target).unwrap_err();
    assert!(refused.contains("401"), "{refused}");
    // A key that is no registered node's gets no TLS connection at all.
    let stranger = concord_ledger::signature::SecretKey::generate();
    let refused = ask(&stranger, None, "/api/v1/federation/node").unwrap_err();
    assert!(refused.contains("TLS"), "{refused}");
    // And sync is not served in the clear.
    let plain = request("GET", &format!("{}{target}", kaz.url()));
    assert_eq!(plain.status, 401, "{}", plain.text);
    assert!(plain.text.contains("over TLS"), "{}", plain.text);
}

/// Pages of Kazakhstan's log, changed three ways, carried to Kyrgyzstan's node by file
/// (`sync import` checks exactly as a pull does).
fn tampered_pages_are_refused(kaz: &Node, kgz: &Node, secretariat: &Node) {
    let export = kaz.dir.path().join("for-kgz.jsonl");
    kaz.ok(&[
        "sync",
        "export",
        "--to",
        "KGZ",
        "--out",
        export.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&export).unwrap();
    let pages: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kaz_origin = kaz.ok(&["nodes", "self"]);
    let kaz_origin: Value = serde_json::from_str(&kaz_origin).unwrap();
    let kaz_origin = kaz_origin["origin"].as_str().unwrap();
    let page = pages
        .iter()
        .find(|p| p["origin"] == kaz_origin)
        .unwrap()
        .clone();
    let size = page["leaves"].as_array().unwrap().len();
    let log_key = std::fs::read_to_string(kaz.dir.path().join("concord-log.key")).unwrap();
    let log_key = concord_ledger::checkpoint::LogKey::from_secret(&log_key).unwrap();

    // A forged entry: Kazakhstan's own checkpoint, an entry that is not the leaf. Given to
    // a node that does not hold the log yet (Tajikistan's, which may read the report).
    let tjk = registered_by_hand("TJK", secretariat);
    let keys = secretariat_keys(secretariat);
    // The registry only (the secretariat's log), carried by hand: not Kazakhstan's log,
    // which the secretariat's node would forward.
    let registry = tjk.dir.path().join("registry.jsonl");
    secretariat.ok(&[
        "sync",
        "export",
        "--to",
        "TJK",
        "--out",
        registry.to_str().unwrap(),
    ]);
    let secretariat_origin = keys.origin.as_str();
    let own: String = std::fs::read_to_string(&registry)
        .unwrap()
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["origin"] == secretariat_origin)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&registry, own).unwrap();
    tjk.ok(&["sync", "import", registry.to_str().unwrap()]);
    let mut forged = page.clone();
    let leaves = forged["leaves"].as_array_mut().unwrap();
    let with_entry = leaves
        .iter()
        .position(|l| {
            l["entry"]
                .as_str()
                .is_some_and(|e| e.contains("night convoy"))
        })
        .expect("Kyrgyzstan's export carries the Central Asian report");
    let entry = leaves[with_entry]["entry"]
        .as_str()
        .unwrap()
        .replace("night convoy", "day convoy");
    leaves[with_entry]["entry"] = Value::String(entry);
    let refused = import(&tjk, &forged);
    assert!(refused.contains("does not hash to its leaf"), "{refused}");
    assert!(
        !contains(&tjk.file_bytes(), "day convoy"),
        "the forged entry was kept"
    );

    // Two checkpoints of one size: Kazakhstan's key signs another root for a size
    // Kyrgyzstan holds.
    let other_root = concord_ledger::Hash([7; 32]);
    let mut equivocation = page.clone();
    equivocation["checkpoint"] = Value::String(log_key.sign(size as u64, other_root).unwrap());
    equivocation["leaves"] = Value::Array(vec![]);
    equivocation["start"] = Value::from(size);
    equivocation["consistency"] = Value::Array(vec![]);
    let refused = import(kgz, &equivocation);
    assert!(refused.contains("two histories"), "{refused}");
    // The proof checks with Kazakhstan's key alone: Kyrgyzstan's node passes it on, and
    // the secretariat's node (which pulls from it) holds it too.
    eventually("the secretariat's node heard of the two histories", || {
        let status: Value =
            serde_json::from_str(&secretariat.ok(&["sync", "status", "--json"])).unwrap();
        status["refusals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reason"].as_str().unwrap().contains("passed on by"))
    });

    // A rewritten history: the last leaf held replaced, and one more, under a signed
    // checkpoint of the longer log.
    let mut rewritten = page.clone();
    let leaves = rewritten["leaves"].as_array_mut().unwrap();
    let last = leaves.pop().unwrap();
    let mut changed = last.clone();
    changed["leaf_hash"] =
        serde_json::to_value(concord_ledger::proof::B64(concord_ledger::Hash([9; 32]))).unwrap();
    changed.as_object_mut().unwrap().remove("entry");
    let extra = changed.clone();
    leaves.push(changed);
    leaves.push(extra);
    rewritten["checkpoint"] = Value::String(log_key.sign(size as u64 + 1, other_root).unwrap());
    rewritten["consistency"] = Value::Array(vec![]);
    let refused = import(kgz, &rewritten);
    assert!(refused.contains("rewritten history"), "{refused}");

    // Each refusal is recorded with its evidence, for the duty officers to see.
    let status: Value = serde_json::from_str(&kgz.ok(&["sync", "status", "--json"])).unwrap();
    let reasons: Vec<&str> = status["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("two histories")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("rewritten history")),
        "{reasons:?}"
    );
}

/// Imports one page on `node`; what it said when it refused (the import must fail).
fn import(node: &Node, page: &Value) -> String {
    let file = node.dir.path().join("page.jsonl");
    std::fs::write(&file, format!("{page}\n")).unwrap();
    let out = node.cli(&["sync", "import", file.to_str().unwrap()]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the tampered page was taken: {said}");
    said
}

/// Kazakhstan's delegation signs its position on its own node; the secretariat's node
/// records it (the seal naming Kazakhstan's node), the document is decided with it, the
/// audit and the offline bundle check accept it, and the decision reaches the other nodes.
/// The same position posted again, or said to be signed on another state's node, is refused.
fn a_position_signed_on_kazakhstans_node_counts_at_the_secretariat(
    secretariat: &Node,
    kaz: &Node,
    kgz: &Node,
    kaz_key: &Path,
) {
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let document = "federation-statement";
    let sec_key = key_of("secretariat", secretariat, secretariat);
    let sec_key = sec_key.to_str().unwrap();
    let step = |args: &[&str]| secretariat.ok(&[&["council", "--key", sec_key][..], args].concat());
    step(&[
        "open",
        "--id",
        "csc-federation",
        "--body",
        "csc",
        "--date",
        &today,
        "--city-en",
        "Astana",
        "--city-ru",
        "Астана",
        "--country",
        "KAZ",
    ]);
    step(&[
        "agenda",
        "--session",
        "csc-federation",
        "--number",
        "1",
        "--en",
        "Crisis centres",
        "--ru",
        "Кризисные центры",
    ]);
    step(&[
        "draft",
        "--id",
        document,
        "--session",
        "csc-federation",
        "--type",
        "statement",
        "--title-en",
        "Statement on crisis centres",
        "--title-ru",
        "Заявление о кризисных центрах",
        "--text-en",
        "The crisis centres work as one network.",
        "--text-ru",
        "Кризисные центры работают как одна сеть.",
    ]);
    step(&["circulate", "--document", document, "--version", "1"]);
    // The other members agree on the secretariat's node itself.
    for owner in ["BLR", "KGZ", "RUS", "TJK"] {
        let key = key_of(owner, secretariat, secretariat);
        secretariat.ok(&[
            "council",
            "--key",
            key.to_str().unwrap(),
            "position",
            "--document",
            document,
            "--stance",
            "agree",
        ]);
    }
    // Kazakhstan's, on its own node, once the circulated version has reached it.
    let kaz_key = kaz_key.to_str().unwrap();
    eventually("Kazakhstan's delegation agrees on its own node", || {
        kaz.cli(&[
            "council",
            "--key",
            kaz_key,
            "position",
            "--document",
            document,
            "--stance",
            "agree",
        ])
        .status
        .success()
    });
    // The secretariat cannot decide before Kazakhstan's position is delivered.
    eventually(
        "the secretariat decides with Kazakhstan's delivered position",
        || {
            let out = secretariat.cli(&[
                "council",
                "--key",
                sec_key,
                "decide",
                "--document",
                document,
            ]);
            let said = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() || said.contains("awaiting KAZ"),
                "{said}"
            );
            out.status.success()
        },
    );

    let audit: Value = serde_json::from_str(&secretariat.ok(&["audit", "--json"])).unwrap();
    assert_eq!(audit["ok"], true, "{audit}");
    // Kazakhstan's own node audits its own log: its entries are signed with keys the
    // secretariat's log registers, which the node holds.
    let kaz_audit: Value = serde_json::from_str(&kaz.ok(&["audit", "--json"])).unwrap();
    assert_eq!(kaz_audit["ok"], true, "{kaz_audit}");
    assert!(
        kaz_audit["signatures"].as_u64().unwrap() >= 2,
        "its report and its position: {kaz_audit}"
    );
    let bundle_file = secretariat.dir.path().join("bundle.json");
    secretariat.ok(&[
        "bundle",
        "export",
        document,
        "--out",
        bundle_file.to_str().unwrap(),
    ]);
    secretariat.ok(&["keys", "export", "trusted"]);
    let out = secretariat.ok(&["verify", bundle_file.to_str().unwrap(), "--keys", "trusted"]);
    assert!(out.contains("5 member signatures valid"), "{out}");
    let bundle: Value = serde_json::from_slice(&std::fs::read(&bundle_file).unwrap()).unwrap();
    let kaz_origin =
        request("GET", &format!("{}/api/v1/federation/node", kaz.url())).json["origin"]
            .as_str()
            .unwrap()
            .to_owned();
    let ballot = bundle["entry"]["event"]["body"]["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["member"] == "KAZ")
        .unwrap()
        .clone();
    let seal = &ballot["position"]["seal"];
    assert_eq!(seal["node_origin"], kaz_origin.as_str(), "{ballot}");
    // Without the nodes the registry holds, the offline check refuses Kazakhstan's seal.
    std::fs::remove_file(secretariat.dir.path().join("trusted/nodes.json")).unwrap();
    let out = secretariat.cli(&["verify", bundle_file.to_str().unwrap(), "--keys", "trusted"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("ballots[KAZ]"),
        "{said}"
    );
    // An auditor with no access to the database takes the nodes from the public API.
    let nodes = request("GET", &format!("{}/api/v1/nodes", secretariat.url()));
    assert_eq!(nodes.status, 200);
    assert!(
        nodes.json.as_array().is_some_and(|n| n
            .iter()
            .any(|n| n["owner"] == "KAZ" && n["origin"] == kaz_origin.as_str())),
        "{}",
        nodes.json
    );
    std::fs::write(
        secretariat.dir.path().join("trusted/nodes.json"),
        nodes.json.to_string(),
    )
    .unwrap();
    let out = secretariat.ok(&["verify", bundle_file.to_str().unwrap(), "--keys", "trusted"]);
    assert!(out.contains("5 member signatures valid"), "{out}");

    // Posted again to the secretariat: refused the second time. Said to be signed on
    // Kyrgyzstan's node: refused, whatever the signature.
    let mut command = ballot["position"]["position"].clone();
    command["action"] = "record-position".into();
    let post = |seal: &Value| {
        common::post_json(
            &format!("{}/api/v1/council/commands", secretariat.url()),
            &serde_json::json!({ "command": command, "seal": seal }),
        )
    };
    let again = post(seal);
    assert_eq!(again.json["rule"], "replayed-signature", "{again:?}");
    let kgz_origin =
        request("GET", &format!("{}/api/v1/federation/node", kgz.url())).json["origin"]
            .as_str()
            .unwrap()
            .to_owned();
    let mut elsewhere = seal.clone();
    elsewhere["node_origin"] = kgz_origin.into();
    let refused = post(&elsewhere);
    assert_eq!(
        refused.json["rule"], "signed-for-another-ledger",
        "{refused:?}"
    );

    // The decision reaches Kyrgyzstan's node and Kazakhstan's, which holds its own position
    // once (the secretariat's record of it is not applied twice) and refused nothing.
    for node in [kgz, kaz] {
        eventually(&format!("{} has the decision", node.code), || {
            let sessions: Value =
                serde_json::from_str(&node.ok(&["sessions", "--year", &today[..4], "--json"]))
                    .unwrap();
            sessions
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == "csc-federation" && s["documents"][0]["status"] == "adopted")
        });
        let status: Value = serde_json::from_str(&node.ok(&["sync", "status", "--json"])).unwrap();
        assert!(
            status["refusals"].as_array().unwrap().is_empty(),
            "{} {status}",
            node.code
        );
    }
}
