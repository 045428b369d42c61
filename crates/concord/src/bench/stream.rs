//! `bench stream`: the live stream's delivery from acknowledgement to arrival, and the readers' connection and waits the fan-out yardstick shares.

use std::time::{Duration, Instant};

use super::{demo_with_keys, incident_report, percentile, resident_mib};

/// What `bench stream` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StreamFigures {
    /// Connected SSE subscribers.
    pub subscribers: usize,
    /// Reports posted.
    pub reports: usize,
    /// Milliseconds between an acknowledgement and the next post (0: back to back).
    pub every_ms: u64,
    /// Deliveries observed (subscribers × reports when none is lost).
    pub deliveries: usize,
    /// Median from the report's acknowledgement (HTTP 201) to its arrival, microseconds.
    pub p50_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
    /// The server process's resident memory once every stream is open, MiB.
    pub server_rss_subscribed_mib: f64,
    /// Its resident memory at its highest (the kernel's high-water mark), MiB.
    pub server_rss_peak_mib: f64,
    /// The same readers on a server that only writes each frame (of the size of the
    /// frames they received) to every connection, the same pace: median, microseconds.
    pub bare_p50_us: f64,
    /// Its 99th percentile, microseconds.
    pub bare_p99_us: f64,
}

/// Serves a fresh SQLite database on a local port, connects `subscribers` SSE streams as
/// the public, posts `reports` signed public incident reports one after another over HTTP,
/// and measures, for every delivery, the time from the report's acknowledgement to its
/// arrival at the subscriber.
pub async fn stream(
    subscribers: usize,
    reports: usize,
    every_ms: u64,
) -> anyhow::Result<StreamFigures> {
    use std::collections::HashMap;

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("stream.db").display());
    let (store, mut secrets) = demo_with_keys(&url, &["TJK"]).await?;
    let secret = secrets.remove(0);
    let origin = concord_store::queries::origin(store.as_ref()).await?;
    drop(store);
    // The server is a process of its own, so that its memory is its own and the
    // subscribers' sockets do not share its open-file limit.
    let log_key = dir.path().join("log.key");
    crate::log_key::load_or_create(&log_key, &origin)?;
    let server = crate::bench::servers::serve(&url, &log_key)?;
    let addr = server.addr;

    let (readers, arrivals) = subscribed(addr, subscribers).await?;
    let (subscribed_mib, _) = resident_mib(server.pid())?;

    let mut acknowledged: HashMap<u64, Instant> = HashMap::new();
    let mut poster = tokio::net::TcpStream::connect(addr).await?;
    for n in 0..reports {
        let mut report = incident_report("TJK", &format!("tjk-bench-{n}"), n)?;
        report.releasability = concord_core::releasability::Releasability::Public;
        let command = concord_core::council::Command::ReportIncident(Box::new(report));
        let signed = concord_core::council::SignedCommand::sign(
            &secret,
            &origin,
            command,
            time::OffsetDateTime::now_utc(),
        );
        let leaf = post_report(&mut poster, &serde_json::to_vec(&signed)?).await?;
        acknowledged.insert(leaf, Instant::now());
        if every_ms > 0 {
            tokio::time::sleep(Duration::from_millis(every_ms)).await;
        }
    }
    until_delivered(subscribers).await;
    let (_, peak_mib) = resident_mib(server.pid())?;
    drop(server);
    let (latencies, bytes) = delivery_latencies(readers, &arrivals, &acknowledged).await?;
    // The yardstick: the same readers, frames of the size they read, the same pace.
    let frame_len = (bytes / latencies.len() as u64) as usize;
    let bare =
        crate::bench::yardstick::bare_fan_out(subscribers, reports, every_ms, frame_len).await?;
    Ok(StreamFigures {
        subscribers,
        reports,
        every_ms,
        deliveries: latencies.len(),
        p50_us: percentile(&latencies, 0.5),
        p99_us: percentile(&latencies, 0.99),
        server_rss_subscribed_mib: subscribed_mib,
        server_rss_peak_mib: peak_mib,
        bare_p50_us: bare.p50_us,
        bare_p99_us: bare.p99_us,
    })
}

/// Arrival times by leaf index, of every reader.
pub(crate) type Arrivals = std::sync::Arc<std::sync::Mutex<Vec<(u64, Instant)>>>;

/// `subscribers` live-stream readers ([`subscribe`]) on `addr`, once every stream has had
/// time to subscribe, and where they note their arrivals.
pub(crate) async fn subscribed(
    addr: std::net::SocketAddr,
    subscribers: usize,
) -> anyhow::Result<(Vec<tokio::task::JoinHandle<u64>>, Arrivals)> {
    let arrivals = Arrivals::default();
    let mut readers = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        readers.push(subscribe(addr, arrivals.clone()).await?);
    }
    tokio::time::sleep(Duration::from_millis(500 + subscribers as u64 / 10)).await;
    Ok((readers, arrivals))
}

/// Waits for the last of what was sent to reach `subscribers` readers.
pub(crate) async fn until_delivered(subscribers: usize) {
    tokio::time::sleep(Duration::from_millis(1000 + subscribers as u64 / 10)).await;
}

/// Once the streams have ended (their server stopped): every delivery's time from its
/// report's acknowledgement, sorted, and the bytes the readers read in all.
pub(crate) async fn delivery_latencies(
    readers: Vec<tokio::task::JoinHandle<u64>>,
    arrivals: &std::sync::Mutex<Vec<(u64, Instant)>>,
    acknowledged: &std::collections::HashMap<u64, Instant>,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let mut bytes = 0;
    for r in readers {
        bytes += r.await.unwrap_or(0);
    }
    let arrivals = arrivals.lock().expect("not poisoned");
    let mut latencies: Vec<Duration> = arrivals
        .iter()
        .filter_map(|(id, at)| {
            acknowledged
                .get(id)
                .map(|ack| at.saturating_duration_since(*ack))
        })
        .collect();
    latencies.sort();
    anyhow::ensure!(!latencies.is_empty(), "no delivery was observed");
    Ok((latencies, bytes))
}

/// A live-stream reader on `addr` (public, from now): a task that notes the arrival time
/// of every entry by leaf index in `arrivals` when the stream ends, and answers the bytes
/// it read.
pub(crate) async fn subscribe(
    addr: std::net::SocketAddr,
    arrivals: Arrivals,
) -> anyhow::Result<tokio::task::JoinHandle<u64>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    socket
        .write_all(
            b"GET /api/v1/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n",
        )
        .await?;
    Ok(tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut pending = String::new();
        let mut mine = Vec::new();
        let mut read = 0;
        loop {
            let n = match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            read += n as u64;
            let now = Instant::now();
            pending.push_str(&String::from_utf8_lossy(&buf[..n]));
            while let Some(at) = pending.find("\nid: ").or_else(|| pending.find("\nid:")) {
                let rest = &pending[at..];
                let Some(end) = rest[1..].find('\n') else {
                    break;
                };
                let line = &rest[1..1 + end];
                if let Ok(id) = line.trim_start_matches("id:").trim().parse::<u64>() {
                    mine.push((id, now));
                }
                pending = rest[1 + end..].to_owned();
            }
        }
        arrivals.lock().expect("not poisoned").extend(mine);
        read
    }))
}

/// Posts one signed report on `poster` and waits for its 201: the leaf it was given.
pub(crate) async fn post_report(
    poster: &mut tokio::net::TcpStream,
    body: &[u8],
) -> anyhow::Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = format!(
        "POST /api/v1/incidents HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    poster.write_all(&request).await?;
    // Read the whole answer (status line, headers, a short JSON body).
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let got = poster.read(&mut buf).await?;
        anyhow::ensure!(got > 0, "the server closed the connection");
        answer.extend_from_slice(&buf[..got]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(at) = text.find("\"last_leaf\":") {
            let digits: String = text[at + 12..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if text[at + 12 + digits.len()..].contains('}') {
                anyhow::ensure!(text.starts_with("HTTP/1.1 201"), "report refused: {text}");
                return Ok(digits.parse::<u64>()?);
            }
        }
    }
}
