//! `bench ledger` and `bench audit`: the ledger's append, its proofs and its audit, through the real store.

use std::time::Instant;

use anyhow::Context;
use concord_core::event::Event;
use concord_core::history::Source;
use concord_store::ledger;

use super::{PROOF_SEED, given_or_scratch, percentile, xorshift};
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
