//! Yardsticks: what this machine does with none of Concord's work, measured in the same run
//! as Concord's own figure, so that each figure can be read against the hardware rather than
//! against a number (issue #12: "held to the hardware").
//!
//! - [`bare_http`]: the ingest bench's very requests, from the same clients, answered by an
//!   axum handler that reads the body and answers at once (no signature, no database).
//! - [`bare_fan_out`]: the stream bench's very readers on a server that only writes each
//!   frame to every connection (a task a connection, as Concord's streams are), nothing else.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `bodies` posted by [`crate::bench::post_all`] (the same clients, connections and
/// requests as `bench ingest`) to a server whose handlers only read the body and answer
/// as Concord's would on success: requests' reports per second.
pub(crate) async fn bare_http(
    bodies: Arc<Vec<Vec<u8>>>,
    connections: usize,
    batch: usize,
) -> anyhow::Result<f64> {
    async fn one(_body: axum::body::Bytes) -> (StatusCode, &'static str) {
        (StatusCode::CREATED, r#"{"leaf":0}"#)
    }
    async fn many(_body: axum::body::Bytes) -> (StatusCode, &'static str) {
        (StatusCode::OK, r#"{"accepted":0,"refused":0}"#)
    }
    let router = axum::Router::new()
        .route("/api/v1/incidents", axum::routing::post(one))
        .route("/api/v1/incidents/batch", axum::routing::post(many));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(concord_server::sending_at_once(listener), router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let rate = crate::bench::post_all(&[addr], bodies, connections, batch).await;
    let _ = stop.send(());
    server.await??;
    rate
}

/// What [`bare_fan_out`] measured: from each frame's hand-over to its arrival.
pub(crate) struct BareFanOut {
    /// Median, microseconds.
    pub p50_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
}

/// `subscribers` readers ([`crate::bench::subscribe`], the stream bench's own) on a bare
/// server, a process of its own as `concord serve` is in the stream bench
/// ([`serve_frames`], through `concord bench fan-out-yardstick`). `frames` frames of
/// `frame_len` bytes are handed to it `every_ms` apart (back to back: 2 ms, about the
/// least Concord's own acknowledgement takes); a frame's time runs from its hand-over.
pub(crate) async fn bare_fan_out(
    subscribers: usize,
    frames: usize,
    every_ms: u64,
    frame_len: usize,
) -> anyhow::Result<BareFanOut> {
    use std::io::{BufRead, Write};
    let mut server = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "fan-out-yardstick", "--frame-len"])
        .arg(frame_len.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut hand = server.stdin.take().context("no stdin")?;
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("the bare server said {line:?}"))?
        .parse()?;
    let (readers, arrivals) = crate::bench::subscribed(addr, subscribers).await?;
    let mut handed = std::collections::HashMap::new();
    for n in 0..frames as u64 {
        handed.insert(n, Instant::now());
        writeln!(hand, "{n}")?;
        hand.flush()?;
        tokio::time::sleep(Duration::from_millis(every_ms.max(2))).await;
    }
    crate::bench::until_delivered(subscribers).await;
    drop(hand); // the server ends with its standard input
    server.wait()?;
    let (latencies, _) = crate::bench::delivery_latencies(readers, &arrivals, &handed).await?;
    Ok(BareFanOut {
        p50_us: crate::bench::percentile(&latencies, 0.5),
        p99_us: crate::bench::percentile(&latencies, 0.99),
    })
}

/// The bare fan-out server (`concord bench fan-out-yardstick`): prints `listening on
/// <address>`, then for every frame number read from standard input writes a frame of
/// `frame_len` bytes to every reader connected, each connection a task of its own (as
/// Concord's streams are); ends when standard input does.
pub async fn serve_frames(frame_len: usize) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on {}", listener.local_addr()?);
    let (frames, _) = tokio::sync::broadcast::channel::<bytes::Bytes>(1024);
    let accepting = {
        let frames = frames.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                if socket.set_nodelay(true).is_ok() {
                    tokio::spawn(write_frames(socket, frames.subscribe()));
                }
            }
        })
    };
    // Standard input is read on a thread of its own (a blocking read).
    let handing = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for n in std::io::stdin().lines() {
            let _ = frames.send(frame(n?.trim().parse()?, frame_len));
        }
        Ok(())
    });
    let handed = handing.await?;
    accepting.abort();
    handed
}

/// An SSE frame numbered `n`, `len` bytes long in all.
fn frame(n: u64, len: usize) -> bytes::Bytes {
    let head = format!("id: {n}\nevent: incident-reported\ndata: ");
    let mut frame = head.into_bytes();
    frame.resize(len.saturating_sub(2).max(frame.len()), b'x');
    frame.extend_from_slice(b"\n\n");
    frame.into()
}

/// One reader's connection: its request's head read, an event-stream head written, then
/// every frame as it comes.
async fn write_frames(
    mut socket: tokio::net::TcpStream,
    mut frames: tokio::sync::broadcast::Receiver<bytes::Bytes>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    socket
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")
        .await?;
    while let Ok(frame) = frames.recv().await {
        socket.write_all(&frame).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_as_long_as_asked_and_carries_its_id() {
        let f = frame(42, 900);
        assert_eq!(f.len(), 900);
        assert!(f.starts_with(b"id: 42\n"));
        assert!(f.ends_with(b"\n\n"));
    }
}
