//! A ledger entry: one event with its place and time in the log.

use serde::{Deserialize, Serialize};

use crate::canonical;

/// What one leaf of the log records. Its canonical JSON is the leaf data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<E> {
    /// The leaf index, from 0.
    pub index: u64,
    /// When the event was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    /// The event.
    pub event: E,
    /// Random, secret with the entry: whoever may not read the entry learns nothing from
    /// its leaf hash, not even whether a guess of its contents is right.
    pub salt: String,
}

impl<E: Serialize> Entry<E> {
    /// The leaf data: the entry's RFC 8785 canonical JSON.
    pub fn leaf_data(&self) -> Vec<u8> {
        canonical::to_vec(self)
    }
}

/// The RFC 6962 leaf hash of `data`: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> tlog_tiles::Hash {
    tlog_tiles::record_hash(data)
}
