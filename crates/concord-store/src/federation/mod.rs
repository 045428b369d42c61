//! Sync between the federation's nodes, over the [`Store`]: what a node serves a peer of
//! each log it holds (its own, and the ones it mirrors), and how it checks and keeps what a
//! peer serves it. HTTP and files are the edges' business; both carry a [`LeavesPage`].
//!
//! Serving: a peer, authenticated as its state, gets every leaf hash of a log (proofs need
//! them) and the entries that state may read, decided by the one access policy.
//!
//! Receiving: nothing is kept before it is checked. The checkpoint must be signed by the
//! log's registered key; every entry must hash to its leaf; every signature it carries
//! must verify with the key the registry holds for that day; the leaves must extend the
//! tree this node holds to the checkpoint's root (directly, or by a consistency proof);
//! a checkpoint of a size this node holds must have the root it holds. Anything else is
//! refused, kept as evidence, and reported.

mod equivocation;
mod receive;
mod registry;
mod serve;

pub use equivocation::*;
pub use receive::*;
pub use registry::*;
pub use serve::*;

use concord_core::event::Event;
use concord_ledger::LedgerError;
use concord_ledger::log::{KnownHashes, Step};
use concord_ledger::proof::B64;
use serde::{Deserialize, Serialize};

use crate::ledger::LedgerQueryError;
use crate::{Hash, Store, StoreError};

/// The most leaves one page carries.
pub const MAX_LEAVES: u64 = 1000;

/// The latest verified checkpoint of a mirrored log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorHead {
    /// The log's origin.
    pub origin: String,
    /// Its size.
    pub size: u64,
    /// The signed checkpoint (C2SP signed note).
    pub note: String,
}

/// One leaf of a mirrored log.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorLeaf {
    /// Its index.
    pub index: u64,
    /// Its hash.
    pub leaf_hash: Hash,
    /// The entry (exact leaf data), where this node's state may read it.
    pub entry: Option<String>,
    /// Received without its entry from a node that did not hold it: the log's own node is
    /// to be asked for it.
    pub unheld: bool,
}

/// What a node keeps of one checked page, in one transaction.
#[derive(Debug, Clone)]
pub struct Received {
    /// The log.
    pub origin: String,
    /// The new leaves, and older ones now given with their entry.
    pub leaves: Vec<MirrorLeaf>,
    /// The stored hashes the new leaves add to the tree.
    pub hashes: Vec<(u64, Hash)>,
    /// The checkpoint, if the leaves reached it.
    pub head: Option<MirrorHead>,
    /// The entries applied to the read tables, by leaf index.
    pub applied: Vec<(u64, Event)>,
    /// When received (RFC 3339).
    pub received_at: String,
}

/// What a peer sent that failed a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// When (RFC 3339).
    pub at: String,
    /// The peer it came from (its address, or the file).
    pub peer: String,
    /// The log concerned.
    pub origin: String,
    /// Why it was refused.
    pub reason: String,
    /// What proves it (the signed checkpoints, the entry).
    pub evidence: String,
}

/// One leaf as it travels: its hash, and its entry where the receiver may read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireLeaf {
    /// The leaf hash, base64.
    pub leaf_hash: B64,
    /// The entry's canonical JSON, exactly the leaf data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// Without its entry because the sender does not hold it (a forwarding node), not
    /// because the policy withholds it: the log's own node may give it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unheld: bool,
}

/// A page of one log as a node serves it to a peer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeavesPage {
    /// The log.
    pub origin: String,
    /// Its latest checkpoint the sender holds, signed by the log's key.
    pub checkpoint: String,
    /// The first leaf's index.
    pub start: u64,
    /// The leaves from `start`.
    pub leaves: Vec<WireLeaf>,
    /// Consistency proof from the tree ending with these leaves to the checkpoint's
    /// (empty when they reach it).
    pub consistency: Vec<B64>,
}

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A ledger computation failed.
    #[error(transparent)]
    Ledger(#[from] LedgerQueryError),
    /// This node holds no such log (or none the asker may know of).
    #[error("this node holds no log `{0}`")]
    UnknownLog(String),
    /// The page asked for is outside the log.
    #[error("{0}")]
    OutOfRange(String),
    /// The peer could not be asked, or did not answer as a node does.
    #[error("{0}")]
    Unreachable(String),
    /// A position a state delivered could not be recorded, for this node's own fault.
    #[error(transparent)]
    Command(#[from] Box<crate::council::CommandError>),
    /// What the peer sent failed a check: refused, and recorded.
    #[error("refused from {peer}: {reason}")]
    Refused {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
}

impl From<LedgerError> for FederationError {
    fn from(e: LedgerError) -> Self {
        FederationError::Ledger(LedgerQueryError::Ledger(e))
    }
}

/// Runs a tree computation over a mirrored log's stored hashes.
pub(super) async fn compute_mirror<T>(
    store: &dyn Store,
    origin: &str,
    known: &mut KnownHashes,
    f: impl Fn(&mut KnownHashes) -> Result<Step<T>, LedgerError>,
) -> Result<T, FederationError> {
    loop {
        match f(known)? {
            Step::Done(v) => return Ok(v),
            Step::Fetch(indexes) => {
                let hashes = store.mirror_hashes(origin, &indexes).await?;
                known.extend(indexes.into_iter().zip(hashes));
            }
        }
    }
}

impl MirrorLeaf {
    /// Leaves from stored rows (index, leaf hash, entry, unheld), checking each hash's
    /// length.
    pub fn from_rows(
        rows: Vec<(i64, Vec<u8>, Option<String>, bool)>,
    ) -> Result<Vec<MirrorLeaf>, StoreError> {
        rows.into_iter()
            .map(|(index, hash, entry, unheld)| {
                let hash: [u8; 32] = hash.try_into().map_err(|_| {
                    StoreError::Ledger(format!("mirrored leaf {index} is not 32 bytes"))
                })?;
                Ok(MirrorLeaf {
                    index: index as u64,
                    leaf_hash: Hash(hash),
                    entry,
                    unheld,
                })
            })
            .collect()
    }
}

pub(super) fn now() -> String {
    crate::projection::now()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times format")
}
