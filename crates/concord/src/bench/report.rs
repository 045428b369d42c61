//! `concord bench report`: what one signed incident report costs, piece by piece, on one
//! core and without the database: reading the posted JSON, the key, the canonical message
//! the signature covers, the signature check, the whole decision, and what the write path
//! builds from the event (the ledger entry with its salt and hash, the read row). The
//! figures say where the ingest path's time goes before the database (docs/profile.md).

use std::time::Instant;

use concord_core::council::{Command, Council, SignedCommand, State};
use serde::Serialize;

/// Microseconds per report of each piece.
#[derive(Debug, Serialize)]
pub struct ReportCost {
    /// Reports timed.
    pub reports: usize,
    /// Reading the posted signed command (serde_json).
    pub parse_json_us: f64,
    /// Reading the registered public key (base64, point decompression, weak-key check).
    pub parse_key_us: f64,
    /// The canonical (RFC 8785) message the seal's signature covers.
    pub canonical_message_us: f64,
    /// The message and the strict Ed25519 check.
    pub verify_us: f64,
    /// ed25519-dalek's batch verification alone, 64 signatures a batch (messages ready).
    pub batch_verify_us: f64,
    /// The seals of 64 reports checked together (`Council::authenticate_all`), as the
    /// intake checks a batch on each core.
    pub batch_seals_us: f64,
    /// `Council::decide_at` as a lone command is decided (all checks, events built).
    pub decide_us: f64,
    /// The ledger entry: canonical JSON, salt, leaf hash.
    pub ledger_entry_us: f64,
    /// The read row the store writes.
    pub read_row_us: f64,
}

fn per(started: Instant, n: usize) -> f64 {
    started.elapsed().as_secs_f64() * 1e6 / n as f64
}

/// Times each piece over `reports` signed reports.
pub fn run(reports: usize) -> anyhow::Result<ReportCost> {
    let files = crate::demo::files();
    let charter = concord_core::charter::Charter::from_toml(files.charter_name, files.charter)?;
    let secret = concord_ledger::signature::SecretKey::generate();
    let key = concord_core::keys::KeyRegistration {
        key_id: secret.public().key_id(),
        owner: "KAZ".parse().map_err(anyhow::Error::msg)?,
        public_key: secret.public().to_b64(),
        valid_from: time::macros::date!(2020 - 01 - 01),
        valid_until: None,
        demo: false,
    };
    let keys = vec![key.clone()];
    let timeline = charter.timeline(vec![]);
    let origin = "csto.concord/ledger/0123456789abcdef";
    let now = time::OffsetDateTime::now_utc();
    let n = reports.max(1);
    let mut signed = Vec::with_capacity(n);
    for i in 0..n {
        let report = super::incident_report("KAZ", &format!("kaz-cost-{i}"), i)?;
        signed.push(SignedCommand::sign(
            &secret,
            origin,
            Command::ReportIncident(Box::new(report)),
            now,
        ));
    }
    let bodies: Vec<Vec<u8>> = signed
        .iter()
        .map(serde_json::to_vec)
        .collect::<Result<_, _>>()?;
    let council = Council {
        origin,
        charter: &charter,
        timeline: &timeline,
        keys: &keys,
        nodes: &[],
    };
    let state = State::default();

    let t = Instant::now();
    for b in &bodies {
        let _: SignedCommand = serde_json::from_slice(b)?;
    }
    let parse_json_us = per(t, n);
    let t = Instant::now();
    for _ in 0..n {
        concord_ledger::signature::PublicKey::parse(&key.public_key)?;
    }
    let parse_key_us = per(t, n);
    let t = Instant::now();
    for s in &signed {
        std::hint::black_box(s.seal.message(origin, &s.command));
    }
    let canonical_message_us = per(t, n);
    let public = concord_ledger::signature::PublicKey::parse(&key.public_key)?;
    let t = Instant::now();
    for s in &signed {
        let signature = concord_ledger::signature::SignatureB64::parse(&s.seal.signature)?;
        public.verify_command(&s.seal.signable(origin, &s.command), &signature)?;
    }
    let verify_us = per(t, n);
    let messages: Vec<Vec<u8>> = signed
        .iter()
        .map(|s| s.seal.message(origin, &s.command))
        .collect();
    let signatures = signed
        .iter()
        .map(|s| concord_ledger::signature::SignatureB64::parse(&s.seal.signature))
        .collect::<Result<Vec<_>, _>>()?;
    let t = Instant::now();
    for (m, s) in messages.chunks(64).zip(signatures.chunks(64)) {
        let m: Vec<&[u8]> = m.iter().map(Vec::as_slice).collect();
        concord_ledger::signature::verify_batch(&m, s, &vec![public; s.len()])?;
    }
    let batch_verify_us = per(t, n);
    let refs: Vec<&SignedCommand> = signed.iter().collect();
    let t = Instant::now();
    for part in refs.chunks(64) {
        for checked in council.authenticate_all(part, now) {
            checked?;
        }
    }
    let batch_seals_us = per(t, n);
    let t = Instant::now();
    let mut events = Vec::with_capacity(n);
    for s in &signed {
        events.push(council.decide_at(s, &state, now)?);
    }
    let decide_us = per(t, n);
    let t = Instant::now();
    for (i, e) in events.iter().enumerate() {
        std::hint::black_box(concord_store::projection::ledger_entry(
            i as u64, now, &e[0],
        ));
    }
    let ledger_entry_us = per(t, n);
    let t = Instant::now();
    for e in &events {
        std::hint::black_box(concord_store::projection::read_row(&e[0]));
    }
    let read_row_us = per(t, n);
    Ok(ReportCost {
        reports: n,
        parse_json_us,
        parse_key_us,
        canonical_message_us,
        verify_us,
        batch_verify_us,
        batch_seals_us,
        decide_us,
        ledger_entry_us,
        read_row_us,
    })
}
