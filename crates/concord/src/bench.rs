//! `concord bench`: performance figures measured through the real store.

use std::time::{Duration, Instant};

use anyhow::Context;
use concord_core::event::Event;
use concord_core::history::Source;
use concord_store::ledger;

use crate::database;

/// What `bench ledger` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LedgerFigures {
    /// Database used.
    pub backend: String,
    /// Events appended.
    pub events: u64,
    /// Events per commit.
    pub batch: usize,
    /// Append rate through `Store::commit` (events, read rows and ledger hashes).
    pub append_events_per_second: f64,
    /// Ledger size when proofs were taken.
    pub ledger_size: u64,
    /// Inclusion proofs taken.
    pub proofs: usize,
    /// Median time of one inclusion proof through the store, in microseconds.
    pub inclusion_median_us: f64,
    /// 99th percentile, in microseconds.
    pub inclusion_p99_us: f64,
}

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

/// Appends `events` synthetic events (cited sources) to `store` in commits of `batch`.
pub(crate) async fn fill(
    store: &dyn concord_store::Store,
    events: u64,
    batch: usize,
) -> anyhow::Result<()> {
    let run = store.ledger_size().await?; // distinct names across runs on one database
    let mut done = 0u64;
    while done < events {
        let n = (events - done).min(batch as u64);
        let batch_events: Vec<Event> = (done..done + n)
            .map(|i| {
                Event::SourceCited(Source {
                    file: format!("bench-{run}-{i}.txt"),
                    title: format!("Synthetic source {i}"),
                    published: None,
                })
            })
            .collect();
        store
            .commit(&batch_events, None)
            .await
            .context("append failed")?;
        done += n;
    }
    Ok(())
}

/// Appends `events` synthetic events in commits of `batch`, then times `proofs` inclusion
/// proofs at random indexes. Uses a fresh SQLite file unless `database` is given.
pub async fn ledger(
    database: Option<&str>,
    events: u64,
    batch: usize,
    proofs: usize,
) -> anyhow::Result<LedgerFigures> {
    let dir = tempfile::tempdir()?;
    let url = given_or_scratch(database, &dir, "bench.db");
    let store = database::open(&url).await?;
    let started = Instant::now();
    fill(store.as_ref(), events, batch).await?;
    let append = events as f64 / started.elapsed().as_secs_f64();
    let size = store.ledger_size().await?;
    // As `serve` does at start: the tree's upper levels in memory.
    ledger::warm(store.as_ref()).await?;
    let mut next = xorshift(PROOF_SEED);
    let mut times = Vec::with_capacity(proofs);
    for _ in 0..proofs {
        let index = next() % size.max(1);
        let t = Instant::now();
        let proof = ledger::inclusion(store.as_ref(), index, Some(size)).await?;
        times.push(t.elapsed());
        debug_assert!(proof.verify().is_ok());
    }
    times.sort();
    Ok(LedgerFigures {
        backend: if url.starts_with("postgres") {
            "postgres".into()
        } else {
            "sqlite".into()
        },
        events,
        batch,
        append_events_per_second: append,
        ledger_size: size,
        proofs,
        inclusion_median_us: if times.is_empty() {
            0.0
        } else {
            percentile(&times, 0.5)
        },
        inclusion_p99_us: if times.is_empty() {
            0.0
        } else {
            percentile(&times, 0.99)
        },
    })
}

/// What `bench audit` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditFigures {
    /// Signed events in the log (plus a few key registrations).
    pub signed_events: u64,
    /// Whole audit (read, re-hash, re-verify every signature) in signed events per second.
    pub audit_signed_events_per_second: f64,
    /// ed25519-dalek's own batch verification of the same signatures, one thread, per
    /// second.
    pub batch_verify_per_second: f64,
    /// The audit rate as a share of the batch verification rate.
    pub ratio: f64,
}

/// Fills a fresh SQLite log with `events` signed positions (six member keys), audits it,
/// then times ed25519-dalek's batch verification of the same signatures.
pub async fn audit(events: u64) -> anyhow::Result<AuditFigures> {
    use concord_core::consensus::{Position, SignedPosition, Stance};
    use concord_core::council::Command;
    use concord_core::council::Seal;
    use concord_core::history::{Document, DocumentStatus};
    use concord_core::keys::{KeyOwner, KeyRegistration};
    use concord_ledger::signature::{SecretKey, SignatureB64};

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    let store = database::open(&url).await?;
    let day = time::macros::date!(2024 - 01 - 01);
    let members = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];
    let secrets: Vec<SecretKey> = members.iter().map(|_| SecretKey::generate()).collect();
    let mut setup: Vec<Event> = members
        .iter()
        .zip(&secrets)
        .map(|(m, s)| {
            Event::KeyRegistered(KeyRegistration {
                key_id: s.public().key_id(),
                owner: KeyOwner::Member(m.parse().expect("a code")),
                public_key: s.public().to_b64(),
                valid_from: day,
                valid_until: None,
                demo: false,
            })
        })
        .collect();
    setup.push(Event::DocumentRecorded(Document {
        id: "bench-document".parse()?,
        session: "bench-session".parse()?,
        doc_type: "decision".parse()?,
        title: concord_core::text::Text::new("Benchmark", "Бенчмарк"),
        status: DocumentStatus::Submitted,
        note: None,
        sources: vec![],
    }));
    // The documents table refers to a session: record one.
    setup.insert(
        0,
        Event::SessionRecorded(concord_core::history::Session {
            id: "bench-session".parse()?,
            bodies: vec!["csc".parse()?],
            date: concord_core::date::PartialDate::Day(day),
            status: concord_core::history::SessionStatus::Held,
            city: None,
            country: None,
            venue: None,
            chair: None,
            formats: vec![],
            attendance: Default::default(),
            heads: Default::default(),
            agenda: vec![],
            note: None,
            sources: vec![],
            confidential: false,
        }),
    );
    // Seals name the ledger: name it first.
    let origin = "BENCH.concord/ledger/audit";
    setup.insert(
        0,
        Event::LedgerNamed(concord_core::event::LedgerName {
            origin: origin.to_owned(),
            node: None,
        }),
    );
    store.commit(&setup, None).await?;
    let mut messages = Vec::with_capacity(events as usize);
    let mut signatures = Vec::with_capacity(events as usize);
    let mut keys = Vec::with_capacity(events as usize);
    let mut done = 0u64;
    while done < events {
        let n = (events - done).min(1000);
        let mut batch = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let m = (i % 6) as usize;
            let position = Position {
                document: "bench-document".parse()?,
                version: (i / 6 + 1) as u32,
                hash: format!("{i:064x}"),
                member: members[m].parse()?,
                stance: Stance::Agree,
                reason: None,
                signatory: None,
                signed_on: day,
            };
            let command = Command::RecordPosition(position.clone());
            let seal = Seal::sign(&secrets[m], origin, &command, day.midnight().assume_utc());
            messages.push(seal.message(origin, &command));
            signatures.push(SignatureB64::parse(&seal.signature)?);
            keys.push(secrets[m].public());
            batch.push(Event::PositionRecorded(SignedPosition { position, seal }));
        }
        store.commit(&batch, None).await?;
        done += n;
    }
    let started = Instant::now();
    let report = ledger::audit(store.as_ref(), |_, _| {}).await?;
    let audit_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.signatures == events,
        "the audit verified {} signatures of {events}",
        report.signatures
    );
    let started = Instant::now();
    for ((m, s), k) in messages
        .chunks(256)
        .zip(signatures.chunks(256))
        .zip(keys.chunks(256))
    {
        let refs: Vec<&[u8]> = m.iter().map(Vec::as_slice).collect();
        let sigs: Vec<SignatureB64> = s.to_vec();
        concord_ledger::signature::verify_batch(&refs, &sigs, k)?;
    }
    let batch_secs = started.elapsed().as_secs_f64();
    let audit_rate = events as f64 / audit_secs;
    let batch_rate = events as f64 / batch_secs;
    Ok(AuditFigures {
        signed_events: events,
        audit_signed_events_per_second: audit_rate,
        batch_verify_per_second: batch_rate,
        ratio: audit_rate / batch_rate,
    })
}

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
    let server = crate::bench_servers::serve(&url, &log_key)?;
    let addr = server.addr;

    let (readers, arrivals) = subscribed(addr, subscribers).await?;
    let (subscribed_mib, _) = resident_mib(server.pid())?;

    let mut acknowledged: HashMap<u64, Instant> = HashMap::new();
    let mut poster = tokio::net::TcpStream::connect(addr).await?;
    for n in 0..reports {
        let report: concord_core::incident::IncidentReport = serde_json::from_value(
            serde_json::json!({
                "id": format!("tjk-bench-{n}"), "version": 1, "reporter": "TJK", "domain": "emergencies",
                "occurred_at": "2026-11-23T10:00:00Z", "place": {"type": "Point", "coordinates": [68.78, 38.56]},
                "country": "TJK", "severity": "Minor", "urgency": "Expected", "certainty": "Observed",
                "title": format!("Bench report {n}"), "text": "Benchmark.", "releasability": {"to": "public"}
            }),
        )?;
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
        crate::bench_yardstick::bare_fan_out(subscribers, reports, every_ms, frame_len).await?;
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

/// What `bench search` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchFigures {
    /// Reports stored.
    pub reports: u64,
    /// Searches timed.
    pub searches: usize,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Reports found per search, on average.
    pub mean_found: f64,
    /// The same searches read by a member state (Kazakhstan), releasability in the query:
    /// median, milliseconds.
    pub member_p50_ms: f64,
    /// ...99th percentile, milliseconds.
    pub member_p99_ms: f64,
    /// ...reports found per search, on average.
    pub member_mean_found: f64,
}

/// Stores `reports` signed incident reports (six reporters, every threat domain, spread over
/// a year and over Central Asia) in a fresh SQLite file, then times `searches` searches by
/// domain + country + 30-day window + bounding box, as the secretariat reads them and as a
/// member state reads them (the reports are released to members, to members and partners,
/// to the central-asia group, or to their originator only).
pub async fn search(reports: u64, searches: usize) -> anyhow::Result<SearchFigures> {
    use concord_core::council::SignedIncident;
    use concord_store::IncidentFilter;

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("search.db").display());
    let store = database::open(&url).await?;
    concord_store::init::init(store.as_ref(), &crate::demo::files()).await?;
    let charter = concord_store::queries::charter(store.as_ref()).await?;
    let origin = concord_store::queries::origin(store.as_ref()).await?;
    let domains: Vec<String> = charter
        .threat_domains
        .iter()
        .map(|d| d.code.to_string())
        .collect();
    let members = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];
    let secret = concord_ledger::signature::SecretKey::generate();
    let start = time::macros::datetime!(2026-01-01 0:00 UTC);
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let mut done = 0u64;
    while done < reports {
        let n = (reports - done).min(2000);
        let mut batch = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let r = next();
            let reporter = members[(r % 6) as usize];
            let lon = 50.0 + (r >> 8) as f64 % 3000.0 / 100.0;
            let lat = 36.0 + (r >> 20) as f64 % 1800.0 / 100.0;
            let release = [
                serde_json::json!({"to": "members"}),
                serde_json::json!({"to": "members+partners"}),
                serde_json::json!({"to": "group", "group": "central-asia"}),
                serde_json::json!({"to": "originator"}),
            ][((r >> 56) % 4) as usize]
                .clone();
            let report: concord_core::incident::IncidentReport = serde_json::from_value(
                serde_json::json!({
                    "id": format!("{}-r{i}", reporter.to_lowercase()), "version": 1, "reporter": reporter,
                    "domain": domains[((r >> 32) % domains.len() as u64) as usize],
                    "occurred_at": (start + time::Duration::minutes(((r >> 40) % 525_600) as i64)).format(&time::format_description::well_known::Rfc3339)?,
                    "place": {"type": "Point", "coordinates": [lon, lat]},
                    "country": reporter, "severity": "Moderate", "urgency": "Expected", "certainty": "Observed",
                    "title": format!("Report {i}"), "text": "Synthetic.",
                    "releasability": release
                }),
            )?;
            // Signed as a centre would; the store is filled directly, as a replay would.
            let command = concord_core::council::Command::ReportIncident(Box::new(report.clone()));
            batch.push(Event::IncidentReported(Box::new(SignedIncident {
                seal: concord_core::council::Seal::sign(&secret, &origin, &command, start),
                report,
                on: start.date(),
            })));
        }
        store.commit(&batch, None).await?;
        done += n;
    }
    let secretariat = concord_core::releasability::Reader::Secretariat;
    let member = concord_core::releasability::Reader::State {
        code: "KAZ".parse()?,
        status: concord_core::registry::MemberStatus::Member,
    };
    let mut times = Vec::with_capacity(searches);
    let mut member_times = Vec::with_capacity(searches);
    let mut found = 0usize;
    let mut member_found = 0usize;
    for _ in 0..searches {
        let r = next();
        let from = start + time::Duration::days((r % 330) as i64);
        let west = 50.0 + (r >> 16) as f64 % 2000.0 / 100.0;
        let south = 36.0 + (r >> 28) as f64 % 1000.0 / 100.0;
        let filter = IncidentFilter {
            domain: Some(domains[((r >> 40) % domains.len() as u64) as usize].clone()),
            country: Some(members[((r >> 48) % 6) as usize].to_owned()),
            from: Some(concord_store::incidents::sortable_time(from)),
            to: Some(concord_store::incidents::sortable_time(
                from + time::Duration::days(30),
            )),
            min_severity: None,
            text: None,
            bbox: Some([west, south, west + 10.0, south + 8.0]),
            after: None,
            ids: None,
            limit: 100,
        };
        for (reader, times, found) in [
            (&secretariat, &mut times, &mut found),
            (&member, &mut member_times, &mut member_found),
        ] {
            let t = Instant::now();
            let hits = concord_store::incidents::incidents(
                store.as_ref(),
                reader,
                &charter.sharing_groups,
                &filter,
            )
            .await?;
            times.push(t.elapsed());
            *found += hits.len();
        }
    }
    times.sort();
    member_times.sort();
    Ok(SearchFigures {
        reports,
        searches,
        p50_ms: percentile(&times, 0.5) / 1000.0,
        p99_ms: percentile(&times, 0.99) / 1000.0,
        mean_found: found as f64 / searches.max(1) as f64,
        member_p50_ms: percentile(&member_times, 0.5) / 1000.0,
        member_p99_ms: percentile(&member_times, 0.99) / 1000.0,
        member_mean_found: member_found as f64 / searches.max(1) as f64,
    })
}

/// What `bench ingest` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestFigures {
    /// Database used.
    pub backend: String,
    /// Reports posted.
    pub reports: usize,
    /// Concurrent connections of the one client process.
    pub connections: usize,
    /// Reports per request: 1 posts each to `/api/v1/incidents`; more posts arrays to
    /// `/api/v1/incidents/batch`.
    pub batch: usize,
    /// Signed reports accepted per second over HTTP (signature check, releasability,
    /// durable commit, ledger append).
    pub reports_per_second: f64,
    /// The same rows inserted bare, 1,000 per transaction, per second.
    pub bare_rows_per_second: f64,
    /// The first as a share of the second.
    pub ratio: f64,
    /// ed25519-dalek's batch verification of the same signatures on one core (64 a
    /// batch, messages ready), per second.
    pub batch_verify_per_second: f64,
    /// The same requests from the same clients answered by a handler that only reads the
    /// body (no signature, no database): reports per second. This machine's HTTP alone.
    pub bare_http_per_second: f64,
}

/// Posts `reports` signed incident reports over HTTP from `connections` concurrent
/// connections to a local server (a fresh SQLite file, or `database`), `batch` per
/// request, then inserts the same rows bare into a scratch table of the same database for
/// comparison.
pub async fn ingest(
    database: Option<&str>,
    reports: usize,
    connections: usize,
    batch: usize,
) -> anyhow::Result<IngestFigures> {
    let dir = tempfile::tempdir()?;
    let url = given_or_scratch(database, &dir, "ingest.db");
    let members = ["BLR", "KAZ", "KGZ", "RUS", "TJK"];
    let (store, secrets) = demo_with_keys(&url, &members).await?;
    let origin = concord_store::queries::origin(store.as_ref()).await?;
    let run = store.ledger_size().await?;
    // Signed beforehand, as the national centres would have.
    let mut bodies = Vec::with_capacity(reports);
    let mut verifiable = Vec::with_capacity(reports);
    for n in 0..reports {
        let m = n % members.len();
        let report = ingest_report(
            members[m],
            &format!("{}-ingest-{run}-{n}", members[m].to_lowercase()),
            n,
        )?;
        let command = concord_core::council::Command::ReportIncident(Box::new(report));
        let signed = concord_core::council::SignedCommand::sign(
            &secrets[m],
            &origin,
            command,
            time::OffsetDateTime::now_utc(),
        );
        bodies.push(serde_json::to_vec(&signed)?);
        verifiable.push((
            signed.seal.message(&origin, &signed.command),
            concord_ledger::signature::SignatureB64::parse(&signed.seal.signature)?,
            secrets[m].public(),
        ));
    }
    let (addr, stop, server) = local_server(store.clone()).await?;

    let bodies = std::sync::Arc::new(bodies);
    let http = post_all(&[addr], bodies.clone(), connections, batch).await?;
    let _ = stop.send(());
    let _ = server.await;

    // The same rows, bare: one multi-row INSERT per 1,000, one transaction each.
    let started = Instant::now();
    bare_insert(&url, &bodies).await?;
    let bare = reports as f64 / started.elapsed().as_secs_f64();

    // The yardstick: the same signatures, verified in batches on one core.
    let started = Instant::now();
    for part in verifiable.chunks(64) {
        let messages: Vec<&[u8]> = part.iter().map(|(m, _, _)| m.as_slice()).collect();
        let signatures: Vec<_> = part.iter().map(|(_, s, _)| *s).collect();
        let keys: Vec<_> = part.iter().map(|(_, _, k)| *k).collect();
        concord_ledger::signature::verify_batch(&messages, &signatures, &keys)?;
    }
    let batch_verify = reports as f64 / started.elapsed().as_secs_f64();
    let bare_http = crate::bench_yardstick::bare_http(bodies, connections, batch).await?;
    Ok(IngestFigures {
        backend: if url.starts_with("postgres") {
            "postgres".into()
        } else {
            "sqlite".into()
        },
        reports,
        connections,
        batch,
        reports_per_second: http,
        bare_rows_per_second: bare,
        ratio: http / bare,
        batch_verify_per_second: batch_verify,
        bare_http_per_second: bare_http,
    })
}

/// The report the ingest benches post: `member`'s, numbered `n`, released to members.
pub(crate) fn ingest_report(
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

/// Posts `bodies` (signed reports) from `connections` concurrent connections spread over
/// the servers at `addrs`, `batch` per request (arrays to `/api/v1/incidents/batch` when
/// more than one), each connection waiting for its answer before the next; every report
/// must be accepted. Returns the reports accepted per second.
pub(crate) async fn post_all(
    addrs: &[std::net::SocketAddr],
    bodies: std::sync::Arc<Vec<Vec<u8>>>,
    connections: usize,
    batch: usize,
) -> anyhow::Result<f64> {
    use tokio::io::AsyncWriteExt;
    let started = Instant::now();
    let mut clients = Vec::new();
    for c in 0..connections {
        let bodies = bodies.clone();
        let addr = addrs[c % addrs.len()];
        clients.push(tokio::spawn(async move {
            let mut socket = tokio::net::TcpStream::connect(addr).await?;
            socket.set_nodelay(true)?;
            let mine: Vec<&Vec<u8>> = bodies.iter().skip(c).step_by(connections).collect();
            for group in mine.chunks(batch) {
                let (path, body) = if batch == 1 {
                    ("/api/v1/incidents", group[0].clone())
                } else {
                    let mut body = b"[".to_vec();
                    for (i, b) in group.iter().enumerate() {
                        if i > 0 {
                            body.push(b',');
                        }
                        body.extend_from_slice(b);
                    }
                    body.push(b']');
                    ("/api/v1/incidents/batch", body)
                };
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                // One write: a request split over two small writes waits out the
                // peer's delayed acknowledgement (Nagle), some 40 ms.
                let mut request = head.into_bytes();
                request.extend_from_slice(&body);
                socket.write_all(&request).await?;
                let (status, answer) = read_response(&mut socket).await?;
                let accepted = if batch == 1 {
                    status == 201
                } else {
                    status == 200
                        && serde_json::from_slice::<serde_json::Value>(&answer)?["refused"] == 0
                };
                anyhow::ensure!(accepted, "refused ({status}): {}", String::from_utf8_lossy(&answer));
            }
            Ok::<(), anyhow::Error>(())
        }));
    }
    for c in clients {
        c.await??;
    }
    Ok(bodies.len() as f64 / started.elapsed().as_secs_f64())
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

/// Inserts `bodies` into a scratch table of the database at `url`, 1,000 rows per
/// transaction, and drops the table.
async fn bare_insert(url: &str, bodies: &[Vec<u8>]) -> anyhow::Result<()> {
    use sqlx::Connection;
    let texts: Vec<String> = bodies
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS bench_bare (n BIGINT, body TEXT)")
            .execute(&mut conn)
            .await?;
        for (c, chunk) in texts.chunks(1000).enumerate() {
            let ns: Vec<i64> = (0..chunk.len() as i64)
                .map(|i| c as i64 * 1000 + i)
                .collect();
            let mut tx = conn.begin().await?;
            sqlx::query(
                "INSERT INTO bench_bare (n, body) SELECT * FROM UNNEST($1::bigint[], $2::text[])",
            )
            .bind(&ns)
            .bind(chunk)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        sqlx::query("DROP TABLE bench_bare")
            .execute(&mut conn)
            .await?;
    } else {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
        let mut conn = sqlx::SqliteConnection::connect_with(
            &options
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full),
        )
        .await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS bench_bare (n INTEGER, body TEXT)")
            .execute(&mut conn)
            .await?;
        for (c, chunk) in texts.chunks(1000).enumerate() {
            let json = serde_json::to_string(chunk)?;
            let mut tx = conn.begin().await?;
            sqlx::query(
                "INSERT INTO bench_bare (n, body) SELECT ?1 + key, value FROM json_each(?2)",
            )
            .bind(c as i64 * 1000)
            .bind(json)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        sqlx::query("DROP TABLE bench_bare")
            .execute(&mut conn)
            .await?;
    }
    Ok(())
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
