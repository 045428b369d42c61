//! `concord bench servers`: several `concord serve` processes of this binary on one
//! PostgreSQL database, the way Concord grows past one machine. Measures the time from a
//! report's acknowledgement by the first server to its arrival on the other servers' live
//! streams (they hear of the commit by PostgreSQL's `NOTIFY`, no polling), and the ingest
//! rate of one server against all of them, with the same client.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use concord_core::council::{Command, SignedCommand};
use concord_core::releasability::Releasability;

use crate::bench::{
    delivery_latencies, demo_with_keys, incident_report, percentile, post_all, post_report,
    subscribe,
};

/// What `bench servers` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServersFigures {
    /// Servers on the database.
    pub servers: usize,
    /// Reports posted to the first server to time delivery.
    pub reports: usize,
    /// Live-stream readers on each of the other servers.
    pub subscribers_per_server: usize,
    /// Deliveries observed (of reports × readers).
    pub deliveries: usize,
    /// From the first server's 201 to arrival on another server's stream: median, ms.
    pub p50_ms: f64,
    /// ...99th percentile, ms.
    pub p99_ms: f64,
    /// Signed reports per second, 64 connections, all on the first server.
    pub ingest_one_server: f64,
    /// The same client with its connections spread over every server.
    pub ingest_all_servers: f64,
}

/// One `concord serve` process, killed when dropped.
pub(crate) struct Serving {
    pub(crate) child: Child,
    /// Where it serves.
    pub(crate) addr: SocketAddr,
}

impl Serving {
    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `concord serve` on `database` with the ledger key at `log_key`; returns once it
/// says it is serving.
pub(crate) fn serve(database: &str, log_key: &std::path::Path) -> anyhow::Result<Serving> {
    let (mut child, addr) = start_serve(database, log_key, "warn", Stdio::null())?;
    until_serving(&mut child, "a server")?;
    Ok(Serving { child, addr })
}

/// Starts `concord serve` on `database` on a free local port, logging what `log` lets
/// through to `stderr`; its standard output is piped.
pub(crate) fn start_serve(
    database: &str,
    log_key: &std::path::Path,
    log: &str,
    stderr: Stdio,
) -> anyhow::Result<(Child, SocketAddr)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let child = Process::new(std::env::current_exe()?)
        .args(["--database", database, "serve", "--no-demo", "--listen"])
        .arg(addr.to_string())
        .arg("--log-key")
        .arg(log_key)
        .env("CONCORD_LOG", log)
        .env_remove("CONCORD_DATABASE")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()?;
    Ok((child, addr))
}

/// Reads a started `concord serve`'s standard output until it says it is serving (then
/// drains the rest on a thread of its own, so that it never blocks on a full pipe).
pub(crate) fn until_serving(child: &mut Child, what: &str) -> anyhow::Result<()> {
    let mut out = BufReader::new(child.stdout.take().context("no stdout")?);
    let mut line = String::new();
    while !line.contains("Concord is serving") {
        line.clear();
        if out.read_line(&mut line)? == 0 {
            bail!("{what} did not start");
        }
    }
    std::thread::spawn(move || for _ in out.lines() {});
    Ok(())
}

/// Runs the bench on `database` (PostgreSQL, initialised here: use a fresh database) with
/// `servers` processes.
pub async fn servers(
    database: &str,
    servers: usize,
    reports: usize,
    subscribers: usize,
    incident_reports: usize,
) -> anyhow::Result<ServersFigures> {
    if !database.starts_with("postgres") {
        bail!("several servers share a PostgreSQL database: give --database postgres://…");
    }
    let members = ["BLR", "KAZ", "KGZ", "RUS", "TJK"];
    let (store, secrets) = demo_with_keys(database, &members).await?;
    let origin = concord_store::queries::origin(store.as_ref()).await?;
    let run = store.ledger_size().await?;
    let dir = tempfile::tempdir()?;
    let log_key = dir.path().join("log.key");
    crate::log_key::load_or_create(&log_key, &origin)?;
    let running: Vec<Serving> = (0..servers.max(2))
        .map(|_| serve(database, &log_key))
        .collect::<anyhow::Result<_>>()?;

    // Delivery: readers on every server but the first, reports posted to the first.
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    for server in &running[1..] {
        for _ in 0..subscribers {
            readers.push(subscribe(server.addr, arrivals.clone()).await?);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut acknowledged = std::collections::HashMap::new();
    let mut poster = tokio::net::TcpStream::connect(running[0].addr).await?;
    for n in 0..reports {
        let mut report = incident_report("TJK", &format!("tjk-servers-{run}-{n}"), n)?;
        report.releasability = Releasability::Public;
        let signed = SignedCommand::sign(
            &secrets[4],
            &origin,
            Command::ReportIncident(Box::new(report)),
            time::OffsetDateTime::now_utc(),
        );
        let leaf = post_report(&mut poster, &serde_json::to_vec(&signed)?).await?;
        acknowledged.insert(leaf, Instant::now());
        // Reports some milliseconds apart, as centres report: latency, not a queue.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let addrs: Vec<SocketAddr> = running.iter().map(|s| s.addr).collect();
    drop(poster);

    // Ingest: the same client, first on one server, then spread over all.
    let mut rates = Vec::new();
    for (round, targets) in [&addrs[..1], &addrs[..]].into_iter().enumerate() {
        let bodies = (0..incident_reports)
            .map(|n| {
                let m = n % members.len();
                let id = format!("{}-servers-{run}-{round}-{n}", members[m].to_lowercase());
                let signed = SignedCommand::sign(
                    &secrets[m],
                    &origin,
                    Command::ReportIncident(Box::new(incident_report(members[m], &id, n)?)),
                    time::OffsetDateTime::now_utc(),
                );
                Ok(serde_json::to_vec(&signed)?)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        rates.push(post_all(targets, Arc::new(bodies), 64, 1).await?);
    }
    drop(running);
    let (latencies, _) = delivery_latencies(readers, &arrivals, &acknowledged).await?;
    Ok(ServersFigures {
        servers: addrs.len(),
        reports,
        subscribers_per_server: subscribers,
        deliveries: latencies.len(),
        p50_ms: percentile(&latencies, 0.5) / 1000.0,
        p99_ms: percentile(&latencies, 0.99) / 1000.0,
        ingest_one_server: rates[0],
        ingest_all_servers: rates[1],
    })
}
