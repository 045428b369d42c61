//! `concord bench federation`: four nodes as separate processes of this binary (the
//! secretariat's, Kazakhstan's, Kyrgyzstan's, Belarus's) on fresh SQLite files, and a fifth
//! (Tajikistan's) started late. Prints: propagation from acceptance on Kazakhstan's node to
//! delivery on Kyrgyzstan's live stream (p50/p99); the catch-up rate of a new node over a
//! log of `entries` entries; and a pull with nothing new over that log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use concord_core::federation::{NodeOf, NodeRegistration};
use concord_core::keys::{KeyOwner, KeyRegistration};
use concord_ledger::signature::SecretKey;
use concord_store::Store;
use concord_store::council::Deployment;
use serde::Serialize;

/// The figures.
#[derive(Debug, Serialize)]
pub struct FederationFigures {
    /// Reports timed for propagation.
    pub reports: usize,
    /// How often each node pulls, in ms.
    pub pull_every_ms: u64,
    /// Acceptance on Kazakhstan's node to delivery on Kyrgyzstan's stream, p50, ms.
    pub propagation_p50_ms: f64,
    /// The same, p99, ms.
    pub propagation_p99_ms: f64,
    /// Entries in Kazakhstan's log when the late node starts.
    pub log_entries: u64,
    /// Seconds the late node took to hold all of them.
    pub catch_up_seconds: f64,
    /// Entries per second.
    pub catch_up_per_second: f64,
    /// A pull with nothing new over that log, median of 5, ms.
    pub no_change_pull_ms: f64,
    /// The slowest of the 5, ms.
    pub no_change_pull_max_ms: f64,
}

/// One node process.
struct Node {
    code: String,
    url: String,
    /// Its federation address (TLS).
    fed: String,
    db: String,
    dir: PathBuf,
    child: Option<Child>,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Node {
    fn new(root: &Path, code: &str) -> anyhow::Result<Node> {
        let dir = root.join(code);
        std::fs::create_dir_all(&dir)?;
        Ok(Node {
            code: code.to_owned(),
            url: format!("http://127.0.0.1:{}", free_port()?),
            fed: format!("https://127.0.0.1:{}", free_port()?),
            db: format!("sqlite://{}", dir.join("concord.db").display()),
            dir,
            child: None,
        })
    }

    fn start(&mut self, peers: &[String], every_ms: u64) -> anyhow::Result<()> {
        let listen = self.url.trim_start_matches("http://").to_owned();
        let fed = self.fed.trim_start_matches("https://").to_owned();
        let mut child = Process::new(std::env::current_exe()?)
            .args([
                "--database",
                &self.db,
                "serve",
                "--no-demo",
                "--listen",
                &listen,
            ])
            .args(["--federation-listen", &fed])
            .args(["--pull-every-ms", &every_ms.to_string()])
            .args(peers.iter().flat_map(|p| ["--peer", p.as_str()]))
            .current_dir(&self.dir)
            .env("CONCORD_LOG", "warn")
            .env_remove("CONCORD_DATABASE")
            .env_remove("CONCORD_PEERS")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.dir.join("stderr.log"))?)
            .spawn()?;
        crate::bench::servers::until_serving(&mut child, &format!("{}'s node", self.code))?;
        self.child = Some(child);
        Ok(())
    }
}

fn get_json(url: &str) -> anyhow::Result<serde_json::Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    Ok(agent.get(url).call()?.body_mut().read_json()?)
}

/// Waits until `ready` holds, for at most `limit`.
fn wait(
    what: &str,
    limit: Duration,
    mut ready: impl FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !ready()? {
        if Instant::now() > deadline {
            bail!("timed out waiting until {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// How many leaves of `origin` the node at `url` holds (its checkpoints' list).
fn held(url: &str, origin: &str) -> anyhow::Result<u64> {
    let heads = get_json(&format!("{url}/api/v1/federation/checkpoints"))?;
    Ok(heads
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["origin"] == origin)
        .and_then(|h| h["size"].as_u64())
        .unwrap_or(0))
}

/// Makes a member state's node at `node`: the charter and its name, its keys, and its
/// registration on the secretariat's node.
async fn national(
    node: &Node,
    secretariat: &dyn Store,
    sec: &Deployment,
    secretariat_log_key: &str,
    secretariat_node_key: &str,
) -> anyhow::Result<()> {
    let store = crate::database::open(&node.db).await?;
    let state = node.code.parse().map_err(anyhow::Error::msg)?;
    concord_store::init::init_node(
        store.as_ref(),
        &crate::demo::files(),
        Some(&NodeOf {
            state,
            secretariat_log_key: secretariat_log_key.to_owned(),
            secretariat_node_key: secretariat_node_key.to_owned(),
        }),
    )
    .await?;
    let origin = concord_store::queries::origin(store.as_ref()).await?;
    let (log_key, _) = crate::log_key::load_or_create(&node.dir.join("concord-log.key"), &origin)?;
    let (node_key, _) = crate::node_key::load_or_create(&node.dir.join("concord-node.key"))?;
    concord_store::federation::register_node(
        secretariat,
        sec,
        NodeRegistration {
            owner: KeyOwner::Member(state),
            origin,
            log_key: log_key.verifier_key().to_owned(),
            node_key: node_key.public().to_b64(),
            registered_on: time::OffsetDateTime::now_utc().date(),
        },
    )
    .await?;
    Ok(())
}

/// A signed report of Kazakhstan's, released to all members.
fn signed_report(secret: &SecretKey, origin: &str, id: &str) -> anyhow::Result<serde_json::Value> {
    let report = super::incident_report("KAZ", id, 0)?;
    let signed = concord_core::council::SignedCommand::sign(
        secret,
        origin,
        concord_core::council::Command::ReportIncident(Box::new(report)),
        time::OffsetDateTime::now_utc(),
    );
    Ok(serde_json::to_value(signed)?)
}

fn post(url: &str, body: &serde_json::Value) -> anyhow::Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut response = agent.post(url).send_json(body)?;
    if !response.status().is_success() {
        bail!(
            "{url}: {}: {}",
            response.status(),
            response.body_mut().read_to_string()?
        );
    }
    Ok(())
}

/// Runs the bench.
pub async fn federation(
    reports: usize,
    entries: u64,
    every_ms: u64,
) -> anyhow::Result<FederationFigures> {
    let root = tempfile::tempdir()?;
    let mut sec = Node::new(root.path(), "secretariat")?;
    let mut kaz = Node::new(root.path(), "KAZ")?;
    let mut kgz = Node::new(root.path(), "KGZ")?;
    let mut blr = Node::new(root.path(), "BLR")?;
    let mut tjk = Node::new(root.path(), "TJK")?;

    let sec_store = crate::database::open(&sec.db).await?;
    concord_store::init::init(sec_store.as_ref(), &crate::demo::files()).await?;
    let sec_deployment = Deployment::read(sec_store.as_ref()).await?;
    let (sec_log, _) =
        crate::log_key::load_or_create(&sec.dir.join("concord-log.key"), &sec_deployment.origin)?;
    let (sec_node_key, _) = crate::node_key::load_or_create(&sec.dir.join("concord-node.key"))?;
    let sec_node_key = sec_node_key.public().to_b64();
    for node in [&kaz, &kgz, &blr, &tjk] {
        national(
            node,
            sec_store.as_ref(),
            &sec_deployment,
            sec_log.verifier_key(),
            &sec_node_key,
        )
        .await?;
    }
    let kaz_secret = SecretKey::generate();
    concord_store::council::register_key(
        sec_store.as_ref(),
        KeyRegistration {
            key_id: kaz_secret.public().key_id(),
            owner: KeyOwner::Member("KAZ".parse().map_err(anyhow::Error::msg)?),
            public_key: kaz_secret.public().to_b64(),
            valid_from: time::OffsetDateTime::now_utc().date(),
            valid_until: None,
            demo: false,
        },
    )
    .await?;
    let kgz_store = crate::database::open(&kgz.db).await?;

    let all = [&sec, &kaz, &kgz, &blr].map(|n| n.fed.clone());
    let others = |me: &str| -> Vec<String> { all.iter().filter(|u| *u != me).cloned().collect() };
    for node in [&mut sec, &mut kaz, &mut kgz, &mut blr] {
        let peers = others(&node.fed);
        node.start(&peers, every_ms)?;
    }
    let kaz_origin = get_json(&format!("{}/api/v1/ledger/key", kaz.url))?["origin"]
        .as_str()
        .context("no origin")?
        .to_owned();
    let key_id = kaz_secret.public().key_id();
    wait(
        "Kazakhstan's node knows its key",
        Duration::from_secs(60),
        || {
            let keys = get_json(&format!("{}/api/v1/keys", kaz.url))?;
            Ok(keys
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k["key_id"] == key_id.as_str())))
        },
    )
    .with_context(|| {
        let log = std::fs::read_to_string(kaz.dir.join("stderr.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        format!("Kazakhstan's node said: {tail:?}")
    })?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut token = None;
    for _ in 0..300 {
        // Once Kyrgyzstan's node has the registry, its duty officer's token can be issued.
        if let Ok((t, _)) = concord_store::council::issue_token(
            kgz_store.as_ref(),
            KeyOwner::Member("KGZ".parse().map_err(anyhow::Error::msg)?),
            "duty-officer".parse().map_err(anyhow::Error::msg)?,
            None,
            today,
        )
        .await
        {
            token = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let token = token.context("no token for Kyrgyzstan's duty officer")?;

    // Propagation: each report posted alone, timed from its acknowledgement to its
    // arrival on Kyrgyzstan's stream.
    let arrivals: Arc<Mutex<std::collections::HashMap<String, Instant>>> = Default::default();
    {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let response = agent
            .get(format!("{}/api/v1/stream", kgz.url))
            .header("authorization", &format!("Bearer {token}"))
            .call()?;
        let arrivals = arrivals.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(response.into_body().into_reader()).lines() {
                let Ok(line) = line else { return };
                if let Some(data) = line.strip_prefix("data:")
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim())
                    && let Some(id) = v["event"]["body"]["report"]["id"].as_str()
                {
                    arrivals
                        .lock()
                        .expect("not poisoned")
                        .insert(id.to_owned(), Instant::now());
                }
            }
        });
    }
    let mut accepted = Vec::with_capacity(reports);
    for n in 0..reports {
        let id = format!("kaz-propagation-{n}");
        let body = signed_report(&kaz_secret, &kaz_origin, &id)?;
        post(&format!("{}/api/v1/incidents", kaz.url), &body)?;
        accepted.push((id, Instant::now()));
        std::thread::sleep(Duration::from_millis(10));
    }
    wait(
        "every report reached Kyrgyzstan's stream",
        Duration::from_secs(120),
        || {
            let got = arrivals.lock().expect("not poisoned");
            Ok(accepted.iter().all(|(id, _)| got.contains_key(id)))
        },
    )?;
    let mut delays: Vec<Duration> = {
        let got = arrivals.lock().expect("not poisoned");
        accepted
            .iter()
            .map(|(id, at)| got[id].saturating_duration_since(*at))
            .collect()
    };
    delays.sort();

    // Catch-up: Kazakhstan's log grows to `entries`; every running node follows; then
    // Tajikistan's node starts and pulls all of it.
    let mut n = 0u64;
    loop {
        let size = get_size(&kaz.url)?;
        if size >= entries {
            break;
        }
        let batch: Vec<serde_json::Value> = (0..1000.min(entries - size))
            .map(|_| {
                n += 1;
                signed_report(&kaz_secret, &kaz_origin, &format!("kaz-catch-up-{n}"))
            })
            .collect::<anyhow::Result<_>>()?;
        post(
            &format!("{}/api/v1/incidents/batch", kaz.url),
            &serde_json::Value::Array(batch),
        )?;
    }
    let size = get_size(&kaz.url)?;
    for node in [&sec, &kgz, &blr] {
        wait(
            &format!("{} holds Kazakhstan's log", node.code),
            Duration::from_secs(1800),
            || Ok(held(&node.url, &kaz_origin)? >= size),
        )?;
    }
    let started = Instant::now();
    tjk.start(&[sec.fed.clone(), kaz.fed.clone()], every_ms)?;
    wait(
        "Tajikistan's node caught up",
        Duration::from_secs(1800),
        || Ok(held(&tjk.url, &kaz_origin)? >= size),
    )?;
    let catch_up = started.elapsed();

    // A pull with nothing new, as Tajikistan's node does it, over the whole log.
    let tjk_store = crate::database::open(&tjk.db).await?;
    let syncer =
        crate::federation::syncer(tjk_store, Some(&tjk.dir.join("concord-node.key"))).await?;
    // Kazakhstan's node learns of Tajikistan's from the secretariat's log: a short run may
    // get here before that pull (its TLS listener used to wait a second more, too).
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Err(e) = syncer.pull(&kaz.fed, &mut |_, _, _| {}).await {
        if Instant::now() > deadline {
            bail!("Kazakhstan's node never accepted Tajikistan's: {e}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut pulls = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let report = syncer
            .pull(&kaz.fed, &mut |_, _, _| {})
            .await
            .map_err(anyhow::Error::msg)?;
        pulls.push(t.elapsed());
        if !report.refused.is_empty() {
            bail!("a pull with nothing new was refused: {:?}", report.refused);
        }
    }
    pulls.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(FederationFigures {
        reports,
        pull_every_ms: every_ms,
        propagation_p50_ms: ms(delays[delays.len() / 2]),
        propagation_p99_ms: ms(delays[(delays.len() * 99 / 100).min(delays.len() - 1)]),
        log_entries: size,
        catch_up_seconds: catch_up.as_secs_f64(),
        catch_up_per_second: size as f64 / catch_up.as_secs_f64(),
        no_change_pull_ms: ms(pulls[2]),
        no_change_pull_max_ms: ms(pulls[4]),
    })
}

/// The size of the node's own ledger.
fn get_size(url: &str) -> anyhow::Result<u64> {
    let heads = get_json(&format!("{url}/api/v1/federation/checkpoints"))?;
    heads[0]["size"].as_u64().context("no checkpoint")
}
