//! The ledger's read side: signed checkpoints, proofs and entries, computed from the
//! hashes the store keeps. Shared by the API and the CLI.

use concord_ledger::LedgerError;
use concord_ledger::checkpoint::LogKey;
use concord_ledger::log::{self, KnownHashes, Step};
use concord_ledger::proof::{B64, ConsistencyProof, InclusionProof};

use crate::{Hash, Store, StoreError};

/// Why a ledger question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum LedgerQueryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The question is outside the log.
    #[error("{0}")]
    OutOfRange(String),
    /// The ledger computation failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The most entries one request may read.
pub const MAX_ENTRIES: u64 = 1000;

/// Runs a ledger computation, fetching from the store the hashes it asks for.
pub async fn compute<T>(
    store: &dyn Store,
    f: impl Fn(&mut KnownHashes) -> Result<Step<T>, LedgerError>,
) -> Result<T, LedgerQueryError> {
    let mut known = KnownHashes::new();
    loop {
        match f(&mut known)? {
            Step::Done(v) => return Ok(v),
            Step::Fetch(indexes) => {
                let hashes = store.ledger_hashes(&indexes).await?;
                known.extend(indexes.into_iter().zip(hashes));
            }
        }
    }
}

/// The root of the ledger's first `size` leaves.
pub async fn root(store: &dyn Store, size: u64) -> Result<Hash, LedgerQueryError> {
    compute(store, |k| log::root(k, size)).await
}

/// The ledger's current size, signed by `key` as a C2SP checkpoint.
pub async fn checkpoint(store: &dyn Store, key: &LogKey) -> Result<String, LedgerQueryError> {
    let size = store.ledger_size().await?;
    let root = root(store, size).await?;
    Ok(key.sign(size, root)?)
}

fn size_or_current(size: Option<u64>, current: u64, what: &str) -> Result<u64, LedgerQueryError> {
    match size {
        Some(s) if s > current => Err(LedgerQueryError::OutOfRange(format!(
            "{what} {s} is beyond the ledger, which holds {current} entries"
        ))),
        Some(s) => Ok(s),
        None => Ok(current),
    }
}

/// Proof that leaf `index` is in the tree of `size` leaves (the current size by default).
pub async fn inclusion(
    store: &dyn Store,
    index: u64,
    size: Option<u64>,
) -> Result<InclusionProof, LedgerQueryError> {
    let size = size_or_current(size, store.ledger_size().await?, "size")?;
    if index >= size {
        return Err(LedgerQueryError::OutOfRange(format!(
            "entry {index} is not in a ledger of {size} entries (indexes start at 0)"
        )));
    }
    let leaf = store.ledger_hashes(&[tlog_index(index)]).await?[0];
    let path = compute(store, |k| log::inclusion(k, size, index)).await?;
    let root = root(store, size).await?;
    Ok(InclusionProof {
        index,
        tree_size: size,
        leaf_hash: B64(leaf),
        root_hash: B64(root),
        path: path.into_iter().map(B64).collect(),
    })
}

/// Proof that the tree of `to` leaves (the current size by default) extends that of `from`.
pub async fn consistency(
    store: &dyn Store,
    from: u64,
    to: Option<u64>,
) -> Result<ConsistencyProof, LedgerQueryError> {
    let to = size_or_current(to, store.ledger_size().await?, "to")?;
    if from > to {
        return Err(LedgerQueryError::OutOfRange(format!(
            "`from` ({from}) is larger than `to` ({to})"
        )));
    }
    let path = compute(store, |k| log::consistency(k, from, to)).await?;
    Ok(ConsistencyProof {
        from_size: from,
        to_size: to,
        from_root: B64(root(store, from).await?),
        to_root: B64(root(store, to).await?),
        path: path.into_iter().map(B64).collect(),
    })
}

/// The entries with indexes `start..end` (at most [`MAX_ENTRIES`]), as JSON.
pub async fn entries(
    store: &dyn Store,
    start: u64,
    end: u64,
) -> Result<Vec<serde_json::Value>, LedgerQueryError> {
    if start > end {
        return Err(LedgerQueryError::OutOfRange(format!(
            "`start` ({start}) is after `end` ({end})"
        )));
    }
    if end - start > MAX_ENTRIES {
        return Err(LedgerQueryError::OutOfRange(format!(
            "at most {MAX_ENTRIES} entries at a time"
        )));
    }
    store
        .ledger_entries(start, end)
        .await?
        .iter()
        .map(|body| StoreError::decode("ledger entry", body).map_err(Into::into))
        .collect()
}

/// The stored-hash index of leaf `n`'s hash.
pub fn tlog_index(n: u64) -> u64 {
    concord_ledger::log::leaf_index(n)
}
