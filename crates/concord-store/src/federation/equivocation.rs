//! Proofs of two histories: kept when a node catches a log showing them, served to its
//! peers, and taken from them once they check with the log's key alone.

use concord_core::federation::NodeRegistration;
use concord_ledger::checkpoint;
use serde::{Deserialize, Serialize};

use super::{FederationError, Refusal, now};
use crate::{Store, StoreError};

/// Two signed checkpoints of one log, of one size, with different roots: the proof that
/// the log's node showed two histories. Anyone can check it with the log's key alone, so
/// nodes pass it on to each other without trusting who passes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivocation {
    /// The log.
    pub origin: String,
    /// One signed checkpoint (C2SP signed note).
    pub first: String,
    /// Another, of the same size, with another root.
    pub second: String,
}

impl Equivocation {
    /// Checks that both checkpoints are signed by `log_key`, name the log, are of one size
    /// and have different roots.
    pub fn check(&self, log_key: &str) -> Result<(), String> {
        let first = checkpoint::verify(&self.first, log_key).map_err(|e| e.to_string())?;
        let second = checkpoint::verify(&self.second, log_key).map_err(|e| e.to_string())?;
        if first.origin != self.origin || second.origin != self.origin {
            return Err("the checkpoints are not of that log".into());
        }
        if first.size != second.size || first.root == second.root {
            return Err("the checkpoints do not contradict each other".into());
        }
        Ok(())
    }
}

/// The proofs of two histories this node holds (from its refusals), to pass on.
pub async fn equivocations(store: &dyn Store) -> Result<Vec<Equivocation>, StoreError> {
    let mut found: Vec<Equivocation> = store
        .refusals(1000)
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_str::<Equivocation>(&r.evidence).ok())
        .collect();
    found.sort_by(|a, b| (&a.origin, &a.first, &a.second).cmp(&(&b.origin, &b.first, &b.second)));
    found.dedup();
    Ok(found)
}

/// Takes a proof of two histories `peer` passed on: kept (and reported) if it checks with
/// the log's registered key and is new here; returns whether it was new.
pub async fn take_reported(
    store: &dyn Store,
    peer: &str,
    log_of: &NodeRegistration,
    reported: &Equivocation,
) -> Result<bool, FederationError> {
    if reported.origin != log_of.origin {
        return Ok(false);
    }
    if let Err(why) = reported.check(&log_of.log_key) {
        tracing::info!(peer, origin = %reported.origin, %why, "a peer passed on a proof that does not check");
        return Ok(false);
    }
    if equivocations(store).await?.contains(reported) {
        return Ok(false);
    }
    let refusal = Refusal {
        at: now(),
        peer: peer.to_owned(),
        origin: reported.origin.clone(),
        reason: format!(
            "two histories of this log, passed on by {peer}: two signed checkpoints of one size with different roots"
        ),
        evidence: StoreError::encode(reported),
    };
    store.record_refusal(&refusal).await?;
    tracing::warn!(peer, origin = %reported.origin, "the proof of two histories of a log was passed on");
    Ok(true)
}

/// The evidence of two histories: the checkpoint received and the one held, as an
/// [`Equivocation`] anyone can check where the one held is of the same size.
pub(super) async fn equivocation_evidence(
    store: &dyn Store,
    origin: &str,
    received: &str,
    size: u64,
) -> Result<String, StoreError> {
    let held = store
        .mirror_heads()
        .await?
        .into_iter()
        .find(|h| h.origin == origin);
    Ok(match held {
        Some(h) if h.size == size => StoreError::encode(&Equivocation {
            origin: origin.to_owned(),
            first: h.note,
            second: received.to_owned(),
        }),
        held => format!(
            "received:\n{received}\nheld:\n{}",
            held.map(|h| h.note).unwrap_or_default()
        ),
    })
}
