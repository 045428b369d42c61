//! `concord bench`: performance figures measured through the real store, one module a
//! bench; what several share (a generator, percentiles, a process's memory, a local
//! server with keys) is here.

pub mod federation;
pub mod ingest;
pub mod ledger;
pub mod memory;
pub mod report;
pub mod search;
pub mod servers;
pub mod stream;
pub mod yardstick;

pub(crate) use ingest::post_all;
pub use ingest::{IngestFigures, ingest};
pub(crate) use ledger::fill;
pub use ledger::{AuditFigures, LedgerFigures, audit, ledger};
pub use search::{SearchFigures, search};
pub use stream::{StreamFigures, stream};
pub(crate) use stream::{delivery_latencies, post_report, subscribe, subscribed, until_delivered};

use std::time::Duration;

use crate::database;

/// A small, dependency-free generator (xorshift64): enough to spread a bench's indexes
/// and records, and the same from run to run.
pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Where the proof benches start their generator.
pub(crate) const PROOF_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1e6
}

/// A process's resident memory and its high-water mark, MiB (Linux `/proc`).
pub(crate) fn resident_mib(pid: u32) -> anyhow::Result<(f64, f64)> {
    Ok((status_mib(pid, "VmRSS")?, status_mib(pid, "VmHWM")?))
}

/// One memory field of a process's `/proc/<pid>/status` (`VmRSS`, `RssAnon`…), MiB.
pub(crate) fn status_mib(pid: u32, name: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/status has no {name}"))?;
    Ok(kib / 1024.0)
}

/// The database a bench runs on: the one given, else a fresh SQLite file `name` in `dir`.
fn given_or_scratch(database: Option<&str>, dir: &tempfile::TempDir, name: &str) -> String {
    match database {
        Some(url) => url.to_owned(),
        None => format!("sqlite://{}", dir.path().join(name).display()),
    }
}

/// Reads one HTTP/1.1 response with a Content-Length: its status and body.
pub(crate) async fn read_response(
    socket: &mut tokio::net::TcpStream,
) -> anyhow::Result<(u16, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    // Read straight into the answer's spare room: the client shares the server's two
    // cores, and a zeroed buffer for every answer cost it a share of them.
    let mut data = Vec::with_capacity(4096);
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| anyhow::anyhow!("an answer without Content-Length: {head}"))?;
            let body_start = end + 4;
            while data.len() < body_start + length {
                data.reserve(body_start + length - data.len());
                let n = socket.read_buf(&mut data).await?;
                anyhow::ensure!(n > 0, "the server closed the connection");
            }
            data.truncate(body_start + length);
            data.drain(..body_start);
            return Ok((status, data));
        }
        data.reserve(4096);
        let n = socket.read_buf(&mut data).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
    }
}

/// A store at `url` with the demo data, and a key registered, valid from today, for each of
/// `members`; returns the store and the keys' secrets in the same order.
pub(crate) async fn demo_with_keys(
    url: &str,
    members: &[&str],
) -> anyhow::Result<(
    std::sync::Arc<dyn concord_store::Store>,
    Vec<concord_ledger::signature::SecretKey>,
)> {
    let store = database::open(url).await?;
    concord_store::init::init(store.as_ref(), &crate::demo::files()).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut secrets = Vec::with_capacity(members.len());
    for m in members {
        let secret = concord_ledger::signature::SecretKey::generate();
        concord_store::council::register_key(
            store.as_ref(),
            concord_core::keys::KeyRegistration {
                key_id: secret.public().key_id(),
                owner: m.parse().map_err(anyhow::Error::msg)?,
                public_key: secret.public().to_b64(),
                valid_from: today,
                valid_until: None,
                demo: false,
            },
        )
        .await?;
        secrets.push(secret);
    }
    Ok((store, secrets))
}

/// A server over `store` on a free local port: its address, the switch that stops it, and
/// its task.
async fn local_server(
    store: std::sync::Arc<dyn concord_store::Store>,
) -> anyhow::Result<(
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    let deployment = concord_store::council::Deployment::read(store.as_ref()).await?;
    let (log_key, _) = concord_ledger::checkpoint::LogKey::generate(&deployment.origin)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = concord_server::AppState::new(store, deployment, log_key);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(concord_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Ok((addr, stop, server))
}

/// The incident report the benches post: `member`'s, with identifier `id`, numbered `n`,
/// released to members.
pub(crate) fn incident_report(
    member: &str,
    id: &str,
    n: usize,
) -> anyhow::Result<concord_core::incident::IncidentReport> {
    Ok(serde_json::from_value(serde_json::json!({
        "id": id, "version": 1, "reporter": member, "domain": "illegal-migration",
        "occurred_at": "2026-11-23T10:00:00Z", "place": {"type": "Point", "coordinates": [69.2, 41.3]},
        "country": member, "severity": "Minor", "urgency": "Expected", "certainty": "Observed",
        "title": format!("Report {n}"), "text": "Border crossing attempt.", "releasability": {"to": "members"}
    }))?)
}
