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

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1e6
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
    let url = match database {
        Some(url) => url.to_owned(),
        None => format!("sqlite://{}", dir.path().join("bench.db").display()),
    };
    let store = database::open(&url).await?;
    let start_size = store.ledger_size().await?;
    let run = start_size; // distinct names across runs on one database
    let started = Instant::now();
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
    let append = events as f64 / started.elapsed().as_secs_f64();
    let size = store.ledger_size().await?;
    // A small, dependency-free generator is enough to spread the indexes.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut times = Vec::with_capacity(proofs);
    for _ in 0..proofs {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = x % size.max(1);
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
