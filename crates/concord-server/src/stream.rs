//! The live stream (`GET /api/v1/stream`, Server-Sent Events): each connected reader
//! receives, in ledger order, the events it may read. The event id is the leaf index; a
//! client reconnecting with `Last-Event-ID` gets everything after it, nothing twice.
//!
//! One tailer task per server reads new ledger entries once (woken by this server's writes,
//! and by the other servers' on PostgreSQL's word — `LISTEN`/`NOTIFY`, no polling — or,
//! on SQLite, every quarter second for another process's) and broadcasts them; each stream
//! filters them by the one access policy.
//! A stream that falls behind the broadcast reads what it missed from the store.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use bytes::BytesMut;
use concord_core::access::Guard;
use concord_core::releasability::{Reader, SharingGroup};
use concord_store::Store;
use concord_store::access::permits;
use concord_store::ledger::MAX_ENTRIES;
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::AppState;
use crate::problem::Problem;
use crate::reader::ReaderOf;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One ledger entry as read by the tailer, prepared once for every stream: its text, what
/// guards it, and its Server-Sent Events frame, written once and shared by every stream
/// that may read it (a thousand readers copy a reference, not the entry).
#[derive(Debug)]
pub struct Tailed {
    /// Leaf index.
    pub index: u64,
    /// The event's kind.
    pub kind: String,
    /// The entry's JSON text.
    pub data: String,
    /// Who may read it.
    pub guard: Guard,
    /// The other node's log it came from (received from a peer), or `None` for this
    /// node's own ledger. An entry from a peer is sent without an id: ids are this
    /// ledger's leaf indexes, which `Last-Event-ID` resumes from.
    pub origin: Option<String>,
    /// The SSE frame: `id` (for this ledger's entries), `event` and `data` lines.
    frame: Bytes,
}

impl Tailed {
    /// An entry of this ledger (`origin` none) or of a peer's log, with its frame.
    pub fn new(
        index: u64,
        kind: String,
        data: String,
        guard: Guard,
        origin: Option<String>,
    ) -> Tailed {
        let mut frame = String::with_capacity(data.len() + kind.len() + 40);
        if origin.is_none() {
            frame.push_str(&format!("id: {index}\n"));
        }
        // A field's value ends at a line break: the kind is one line, the data one `data`
        // line per line of text (canonical JSON has none).
        frame.push_str("event: ");
        frame.push_str(kind.lines().next().unwrap_or_default());
        frame.push('\n');
        for line in data.split('\n') {
            frame.push_str("data: ");
            frame.push_str(line.strip_suffix('\r').unwrap_or(line));
            frame.push('\n');
        }
        frame.push('\n');
        Tailed {
            index,
            kind,
            data,
            guard,
            origin,
            frame: Bytes::from(frame),
        }
    }
}

/// What an idle stream sends now and then (an SSE comment), so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The ledger's tail, shared by every stream.
pub struct Tail {
    entries: broadcast::Sender<Arc<Tailed>>,
    wake: watch::Sender<()>,
    stop: watch::Sender<bool>,
}

/// How many entries a stream may fall behind before it reads from the store instead.
const BUFFER: usize = 4096;

impl Tail {
    /// Starts the tailer over `store` from its current end (on the current runtime).
    pub fn start(store: Arc<dyn Store>) -> Arc<Tail> {
        let (entries, _) = broadcast::channel(BUFFER);
        let (wake, mut woken) = watch::channel(());
        let (stop_tx, mut stop) = watch::channel(false);
        let tail = Arc::new(Tail {
            entries: entries.clone(),
            wake,
            stop: stop_tx,
        });
        tokio::spawn(async move {
            let mut next = store.ledger_size().await.unwrap_or(0);
            let mut growth = store.growth();
            loop {
                tokio::select! {
                    _ = woken.changed() => {}
                    _ = grown(&mut growth) => {}
                    _ = stop.changed() => return,
                }
                let Ok(size) = store.ledger_size().await else {
                    continue;
                };
                if entries.receiver_count() == 0 {
                    // Nobody listens: skip reading. A stream that subscribes later reads
                    // its start from the store itself, and fills any gap before a live
                    // entry from the store too.
                    next = next.max(size);
                    continue;
                }
                while next < size {
                    let end = (next + MAX_ENTRIES).min(size);
                    let Ok(batch) = read(store.as_ref(), next, end).await else {
                        break;
                    };
                    for t in batch {
                        next = t.index + 1;
                        // No stream listening is fine: they read from the store when they come.
                        let _ = entries.send(Arc::new(t));
                    }
                }
            }
        });
        tail
    }

    /// Sends an entry received from a peer's log (its kind, its JSON text) to the open
    /// streams, for whoever may read it.
    pub fn publish_received(
        &self,
        origin: &str,
        index: u64,
        kind: &str,
        data: String,
        guard: Guard,
    ) {
        let _ = self.entries.send(Arc::new(Tailed::new(
            index,
            kind.to_owned(),
            data,
            guard,
            Some(origin.to_owned()),
        )));
    }

    /// Every entry as the streams get it, this ledger's and those received from peers,
    /// for a listener of the server's own (who must not fall behind: a lagging receiver
    /// skips entries).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Tailed>> {
        self.entries.subscribe()
    }

    /// Tells the tailer the ledger grew.
    pub fn wake(&self) {
        let _ = self.wake.send(());
    }

    /// Ends the tailer and every open stream (at shutdown: open streams would otherwise
    /// keep the server from stopping).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Completes once the server is stopping (for listeners that stop with it).
    pub async fn stopped(&self) {
        let mut stop = self.stop.subscribe();
        while !*stop.borrow_and_update() {
            if stop.changed().await.is_err() {
                return;
            }
        }
    }
}

/// How often a tailer looks for other processes' writes where the database gives no word
/// of them (SQLite, written by a CLI beside the server).
const POLL: Duration = Duration::from_millis(250);

/// Completes when other writers have grown the ledger: on the database's word where it
/// gives one (PostgreSQL's notifications, no polling), else after [`POLL`].
async fn grown(growth: &mut Option<watch::Receiver<u64>>) {
    match growth {
        Some(word) => {
            if word.changed().await.is_err() {
                // The listener is gone: fall back to looking.
                *growth = None;
            }
        }
        None => tokio::time::sleep(POLL).await,
    }
}

/// Entries `start..end`, whole, from the store, each with its guard.
async fn read(store: &dyn Store, start: u64, end: u64) -> Result<Vec<Tailed>, Problem> {
    let raw = store.ledger_entries(start, end).await?;
    let mut out = Vec::with_capacity(raw.len());
    for (i, body) in raw.into_iter().enumerate() {
        let index = start + i as u64;
        let entry: Value = serde_json::from_str(&body).map_err(|e| {
            Problem::from(concord_store::StoreError::Corrupt {
                what: format!("ledger entry {index}"),
                why: e.to_string(),
            })
        })?;
        let kind = entry["event"]["type"]
            .as_str()
            .unwrap_or("event")
            .to_owned();
        let guard = store.guards().of_entry(store, &entry).await?;
        out.push(Tailed::new(index, kind, body, guard, None));
    }
    Ok(out)
}

/// The stream's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream))
}

/// The SSE frame of `t` if `reader` may read it.
fn visible(reader: &Reader, groups: &[SharingGroup], t: &Tailed) -> Option<Bytes> {
    permits(&t.guard, reader, groups).then(|| t.frame.clone())
}

/// How often an open stream asks again who is reading.
pub const READER_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// `GET /api/v1/stream`: from `Last-Event-ID` + 1 if given, else from now.
#[utoipa::path(get, path = "/api/v1/stream", tag = "ledger", params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this leaf index")), responses((status = 200, description = "Server-Sent Events: every new event the reader may read, in ledger order, id = leaf index", content_type = "text/event-stream", body = String), crate::openapi::ReadErrors))]
async fn stream(
    State(state): State<AppState>,
    ReaderOf(reader): ReaderOf,
    headers: HeaderMap,
) -> Result<impl axum::response::IntoResponse, Problem> {
    let last = headers
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| Problem::bad_parameter("Last-Event-ID must be a leaf index"))
        })
        .transpose()?;
    // Subscribe before reading the backlog, so that nothing falls between the two.
    let live = state.tail.entries.subscribe();
    let size = state.store.ledger_size().await?;
    let next = match last {
        // An id the ledger never gave is refused, not wrapped round to replay everything.
        Some(l) if l >= size => {
            return Err(Problem::bad_parameter(format!(
                "Last-Event-ID {l} is not a leaf index of this ledger (it has {size} entries)"
            )));
        }
        Some(l) => l + 1,
        None => size,
    };
    let mut recheck = tokio::time::interval(READER_RECHECK);
    recheck.reset();
    let mut stop = state.tail.stop.subscribe();
    let subscription = Subscription {
        live,
        stopped: Box::pin(async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        }),
        reader,
        headers,
        state,
        next,
        behind: Some(size),
        pending: std::collections::VecDeque::new(),
        recheck,
        last_sent: tokio::time::Instant::now(),
    };
    // The connection's own task polls the stream: one task, no channel between the
    // broadcast and the socket.
    let frames = futures_util::stream::unfold(subscription, |mut s| async move {
        let frame = s.next_frame().await?;
        Some((Ok::<_, Infallible>(frame), s))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(frames),
    ))
}

/// One reader's open stream: the broadcast it listens to, where it is in the ledger, and
/// the frames read from the store that it has still to send.
struct Subscription {
    live: broadcast::Receiver<Arc<Tailed>>,
    /// Completes when the server stops. Made once and kept: a stream waits on it between
    /// every two entries, and a new wait each time would register anew with the server's
    /// stop signal, shared (and locked) by every stream.
    stopped: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    reader: Reader,
    headers: HeaderMap,
    /// The server's state: its store, its charter's sharing groups, and what the reader is
    /// asked again against.
    state: AppState,
    /// The next leaf of this ledger to send.
    next: u64,
    /// Read from the store up to this leaf before listening again.
    behind: Option<u64>,
    pending: std::collections::VecDeque<Bytes>,
    /// When who reads is asked again, and when an idle stream says it is alive.
    recheck: tokio::time::Interval,
    /// When the stream last sent anything.
    last_sent: tokio::time::Instant,
}

impl Subscription {
    /// The next bytes to send: every frame ready for this reader (one write for all the
    /// entries that arrived while the connection was busy), or `None` when the stream ends
    /// (the server stops, the reader may no longer read, the store fails).
    async fn next_frame(&mut self) -> Option<Bytes> {
        loop {
            if !self.pending.is_empty() {
                self.last_sent = tokio::time::Instant::now();
                return Some(self.take_pending());
            }
            if let Some(end) = self.behind {
                if self.next < end {
                    self.read_from_store(end).await?;
                } else {
                    self.behind = None;
                }
                continue;
            }
            let received = tokio::select! {
                r = self.live.recv() => r,
                _ = &mut self.stopped => return None,
                // Who reads is asked again now and then: a revoked token, a closed account
                // or a state whose status changed ends the stream (a reconnection reads
                // anew). An idle stream sends a comment, so that proxies keep it open.
                _ = self.recheck.tick() => {
                    match crate::reader::reader_of(&self.state, &self.headers).await {
                        Ok(now) if now == self.reader => {
                            if self.last_sent.elapsed() >= KEEP_ALIVE {
                                self.last_sent = tokio::time::Instant::now();
                                return Some(Bytes::from_static(b":\n\n"));
                            }
                            continue;
                        }
                        _ => return None,
                    }
                }
            };
            self.receive(received).await?;
            // Whatever else the broadcast already holds goes in the same write.
            while self.behind.is_none() {
                let ready = match self.live.try_recv() {
                    Ok(t) => Ok(t),
                    Err(broadcast::error::TryRecvError::Empty) => break,
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        Err(broadcast::error::RecvError::Lagged(n))
                    }
                    Err(broadcast::error::TryRecvError::Closed) => {
                        Err(broadcast::error::RecvError::Closed)
                    }
                };
                self.receive(ready).await?;
            }
        }
    }

    /// Takes one entry from the broadcast: queues its frame if this reader may read it, or
    /// notes the gap to read from the store first. `None`: the broadcast is closed.
    async fn receive(
        &mut self,
        received: Result<Arc<Tailed>, broadcast::error::RecvError>,
    ) -> Option<()> {
        match received {
            Ok(t) if t.origin.is_some() => self.offer(&t),
            Ok(t) if t.index < self.next => {}
            Ok(t) if t.index > self.next => {
                // A gap (entries the broadcast never carried): read it first.
                self.behind = Some(t.index + 1);
            }
            Ok(t) => {
                self.next = t.index + 1;
                self.offer(&t);
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                self.behind = Some(self.state.store.ledger_size().await.ok()?);
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        }
        Some(())
    }

    /// The queued frames as one piece (the one frame itself when there is one).
    fn take_pending(&mut self) -> Bytes {
        if self.pending.len() == 1 {
            return self.pending.pop_front().unwrap_or_default();
        }
        let mut joined = BytesMut::with_capacity(self.pending.iter().map(Bytes::len).sum());
        for frame in self.pending.drain(..) {
            joined.extend_from_slice(&frame);
        }
        joined.freeze()
    }

    /// Queues `t`'s frame if this reader may read it.
    fn offer(&mut self, t: &Tailed) {
        if let Some(frame) = visible(&self.reader, &self.state.charter.sharing_groups, t) {
            self.pending.push_back(frame);
        }
    }

    /// Reads up to [`MAX_ENTRIES`] entries from the next towards `end` from the store.
    async fn read_from_store(&mut self, end: u64) -> Option<()> {
        let to = (self.next + MAX_ENTRIES).min(end);
        let batch = read(self.state.store.as_ref(), self.next, to).await.ok()?;
        for t in batch {
            self.next = t.index + 1;
            self.offer(&t);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_carries_the_id_of_this_ledgers_entries_only_and_one_data_line_a_line() {
        let own = Tailed::new(
            7,
            "incident-reported".into(),
            "{\"a\":1}".into(),
            Guard::Public,
            None,
        );
        assert_eq!(
            &own.frame[..],
            b"id: 7\nevent: incident-reported\ndata: {\"a\":1}\n\n"
        );
        let received = Tailed::new(
            3,
            "alert-issued".into(),
            "one\r\ntwo".into(),
            Guard::Public,
            Some("kaz/ledger".into()),
        );
        assert_eq!(
            &received.frame[..],
            b"event: alert-issued\ndata: one\ndata: two\n\n"
        );
    }
}
