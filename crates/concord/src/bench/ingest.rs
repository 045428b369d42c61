//! `bench ingest`: signed reports posted over HTTP, beside a bare batched INSERT, dalek's batch verification and a bare HTTP handler.

use std::time::Instant;

use super::{demo_with_keys, given_or_scratch, incident_report, local_server, read_response};

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
        let report = incident_report(
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
    let bare_http = crate::bench::yardstick::bare_http(bodies, connections, batch).await?;
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
