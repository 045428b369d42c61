//! `concord bench memory`: the resident memory of a `concord serve` process over a large
//! ledger (issue #12: 1 M and 10 M entries). The ledger is filled first (demo data, then
//! synthetic entries), then served by a process of its own; its memory is read from
//! `/proc` once its in-memory copy of the ledger's hashes is loaded, after it has answered
//! inclusion proofs spread over the whole ledger, and at its highest. Resident memory is
//! told in two parts: the process's own (anonymous: heap, the hash mirror, the page caches
//! SQLite allocates) and pages of the database file it has mapped (file-backed: the
//! kernel's page cache, shared and given back under pressure).

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::AsyncWriteExt;

use crate::bench::servers::{Serving, start_serve, until_serving};
use crate::bench::{
    PROOF_SEED, fill, percentile, read_response, resident_mib, status_mib, xorshift,
};

/// What `bench memory` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemoryFigures {
    /// Ledger entries served (the demo data's and the synthetic ones).
    pub entries: u64,
    /// Size of the SQLite file, MiB.
    pub database_mib: f64,
    /// From the process's start to "Concord is serving", s.
    pub serving_seconds: f64,
    /// From the process's start to its hash mirror loaded, s.
    pub warm_seconds: f64,
    /// Resident memory once warm, MiB.
    pub rss_warm_mib: f64,
    /// ...of which the process's own (anonymous), MiB.
    pub anon_warm_mib: f64,
    /// Inclusion proofs asked over HTTP, at indexes spread over the ledger.
    pub proofs: usize,
    /// Median time of one proof (request to answer, one connection), ms.
    pub proof_p50_ms: f64,
    /// ...99th percentile, ms.
    pub proof_p99_ms: f64,
    /// Resident memory after the proofs, MiB.
    pub rss_after_proofs_mib: f64,
    /// ...of which the process's own (anonymous), MiB.
    pub anon_after_proofs_mib: f64,
    /// Its highest (the kernel's high-water mark), MiB.
    pub rss_peak_mib: f64,
}

/// How long the server may take to load its hash mirror (10 M entries: ~17 s) before the
/// bench gives up rather than wait for ever.
const WARM_WITHIN: Duration = Duration::from_secs(600);

/// Fills a fresh SQLite ledger to `entries`, serves it from a process of its own and
/// measures that process's memory and `proofs` inclusion proofs over HTTP.
pub async fn memory(entries: u64, proofs: usize) -> anyhow::Result<MemoryFigures> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("memory.db");
    let url = format!("sqlite://{}", path.display());
    let store = crate::database::open(&url).await?;
    concord_store::init::init(store.as_ref(), &crate::demo::files()).await?;
    let demo = store.ledger_size().await?;
    fill(store.as_ref(), entries.saturating_sub(demo), 5000).await?;
    let size = store.ledger_size().await?;
    let origin = concord_store::queries::origin(store.as_ref()).await?;
    drop(store);
    let database_mib = std::fs::metadata(&path)?.len() as f64 / (1024.0 * 1024.0);

    let log_key = dir.path().join("log.key");
    crate::log_key::load_or_create(&log_key, &origin)?;
    let started = Instant::now();
    let filter = format!("warn,{}=debug", crate::command::serve::WARMED);
    let (mut child, addr) = start_serve(&url, &log_key, &filter, Stdio::piped())?;
    let stderr = child.stderr.take().context("no stderr")?;
    until_serving(&mut child, "the server")?;
    let server = Serving { child, addr };
    let serving_seconds = started.elapsed().as_secs_f64();
    let warmed = tokio::task::spawn_blocking(move || {
        let lines = BufReader::new(stderr).lines();
        for line in lines.map_while(Result::ok) {
            if line.contains("ledger hash cache warmed") {
                return Ok(());
            }
            if line.contains("could not warm") {
                bail!("{line}");
            }
        }
        bail!("the server stopped before its hash mirror was loaded")
    });
    tokio::time::timeout(WARM_WITHIN, warmed)
        .await
        .context("the server did not say its hash mirror was loaded")???;
    let warm_seconds = started.elapsed().as_secs_f64();
    // Let the process settle (its pools and listener idle) before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss_warm_mib, _) = resident_mib(server.pid())?;
    let anon_warm_mib = status_mib(server.pid(), "RssAnon")?;

    let mut connection = tokio::net::TcpStream::connect(server.addr).await?;
    let mut next = xorshift(PROOF_SEED);
    let mut times = Vec::with_capacity(proofs);
    for _ in 0..proofs {
        let path = format!("/api/v1/ledger/proof/inclusion?index={}", next() % size);
        let t = Instant::now();
        let body = get(&mut connection, &path).await?;
        times.push(t.elapsed());
        let proof: concord_ledger::proof::InclusionProof =
            serde_json::from_str(&body).context("not a proof")?;
        proof
            .verify()
            .map_err(|e| anyhow::anyhow!("a proof that fails: {e}"))?;
    }
    times.sort();
    let (rss_after_proofs_mib, rss_peak_mib) = resident_mib(server.pid())?;
    let anon_after_proofs_mib = status_mib(server.pid(), "RssAnon")?;
    Ok(MemoryFigures {
        entries: size,
        database_mib,
        serving_seconds,
        warm_seconds,
        rss_warm_mib,
        anon_warm_mib,
        proofs,
        proof_p50_ms: percentile(&times, 0.5) / 1000.0,
        proof_p99_ms: percentile(&times, 0.99) / 1000.0,
        rss_after_proofs_mib,
        anon_after_proofs_mib,
        rss_peak_mib,
    })
}

/// GETs `path` on a kept-alive connection; answers the body of a 200.
async fn get(connection: &mut tokio::net::TcpStream, path: &str) -> anyhow::Result<String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    connection.write_all(request.as_bytes()).await?;
    let (status, body) = read_response(connection).await?;
    let body = String::from_utf8(body).context("an answer that is not UTF-8")?;
    if status != 200 {
        bail!("GET {path}: {status} {body}");
    }
    Ok(body)
}
