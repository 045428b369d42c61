//! The Merkle log over stored hashes.
//!
//! Hashes live at the indexes of the Go sumdb `tlog` layout (`tlog_tiles`): appending leaf
//! `n` stores its leaf hash and the hashes of every complete subtree it completes, so a
//! log of `n` leaves stores about `2n` hashes and any root or proof reads `O(log n)` of
//! them. The store owns the hashes; computations here run over [`KnownHashes`], which
//! reports what it lacked so the store can fetch it and run again.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use tlog_tiles::{Hash, HashReader};

use crate::LedgerError;

/// The hashes a computation may read: those fetched so far. A read of an unknown index
/// fails and is remembered, so the caller can fetch it and try again.
#[derive(Debug, Default)]
pub struct KnownHashes {
    known: HashMap<u64, Hash>,
    missing: RefCell<BTreeSet<u64>>,
}

impl KnownHashes {
    /// No hashes known yet.
    pub fn new() -> Self {
        KnownHashes::default()
    }

    /// Adds hashes by stored index.
    pub fn extend(&mut self, hashes: impl IntoIterator<Item = (u64, Hash)>) {
        self.known.extend(hashes);
    }

    /// Forgets everything (a cache bound).
    pub fn clear(&mut self) {
        self.known.clear();
    }

    fn take_missing(&self) -> Vec<u64> {
        std::mem::take(&mut *self.missing.borrow_mut())
            .into_iter()
            .collect()
    }
}

impl HashReader for KnownHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let mut out = Vec::with_capacity(indexes.len());
        let mut missing = self.missing.borrow_mut();
        for index in indexes {
            match self.known.get(index) {
                Some(h) => out.push(*h),
                None => {
                    missing.insert(*index);
                }
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(tlog_tiles::Error::IndexesNotInTree)
        }
    }
}

/// The result of a computation over [`KnownHashes`]: done, or these stored indexes must
/// be fetched first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// The answer.
    Done(T),
    /// Fetch these stored-hash indexes, add them, and run again.
    Fetch(Vec<u64>),
}

fn step<T>(
    known: &KnownHashes,
    result: Result<T, tlog_tiles::Error>,
) -> Result<Step<T>, LedgerError> {
    match result {
        Ok(v) => Ok(Step::Done(v)),
        Err(e) => {
            let missing = known.take_missing();
            if missing.is_empty() {
                Err(LedgerError::Tlog(e.to_string()))
            } else {
                Ok(Step::Fetch(missing))
            }
        }
    }
}

/// Appends leaf `n` (the log has `n` leaves) with hash `leaf`: the `(index, hash)` pairs to
/// store. They are also added to `known`, so the next leaf of a batch can be appended
/// without fetching them back.
pub fn append(
    known: &mut KnownHashes,
    n: u64,
    leaf: Hash,
) -> Result<Step<Vec<(u64, Hash)>>, LedgerError> {
    let result = tlog_tiles::stored_hashes_for_record_hash(n, leaf, known);
    match step(known, result)? {
        Step::Done(hashes) => {
            let first = tlog_tiles::stored_hash_index(0, n);
            let pairs: Vec<(u64, Hash)> = (first..).zip(hashes).collect();
            known.extend(pairs.iter().copied());
            Ok(Step::Done(pairs))
        }
        Step::Fetch(f) => Ok(Step::Fetch(f)),
    }
}

/// The stored index at which leaf `n`'s own hash is kept.
pub fn leaf_index(n: u64) -> u64 {
    tlog_tiles::stored_hash_index(0, n)
}

/// The stored index of the hash of node `n` at `level` (level 0: leaf `n`'s hash).
pub fn stored_index(level: u8, n: u64) -> u64 {
    tlog_tiles::stored_hash_index(level, n)
}

/// How many hashes a log of `n` leaves stores.
pub fn stored_hash_count(n: u64) -> u64 {
    tlog_tiles::stored_hash_count(n)
}

/// The level and node number a stored index holds (level 0: leaf `n`'s hash).
pub fn split_index(index: u64) -> (u8, u64) {
    tlog_tiles::split_stored_hash_index(index)
}

/// Leaf `n`'s own hash.
pub fn leaf(known: &KnownHashes, n: u64) -> Result<Step<Hash>, LedgerError> {
    step(known, known.read_hashes(&[leaf_index(n)]).map(|h| h[0]))
}

/// Two computations over the same hashes at once: both answers, or everything either one
/// lacks, so one fetch serves both.
pub fn both<A, B>(
    a: Result<Step<A>, LedgerError>,
    b: Result<Step<B>, LedgerError>,
) -> Result<Step<(A, B)>, LedgerError> {
    Ok(match (a?, b?) {
        (Step::Done(a), Step::Done(b)) => Step::Done((a, b)),
        (Step::Fetch(mut x), Step::Fetch(y)) => {
            x.extend(y);
            x.sort_unstable();
            x.dedup();
            Step::Fetch(x)
        }
        (Step::Fetch(x), _) | (_, Step::Fetch(x)) => Step::Fetch(x),
    })
}

/// The root hash of the log's first `size` leaves.
pub fn root(known: &KnownHashes, size: u64) -> Result<Step<Hash>, LedgerError> {
    step(known, tlog_tiles::tree_hash(size, known))
}

/// The RFC 6962 audit path of leaf `index` in the tree of `size` leaves.
pub fn inclusion(
    known: &KnownHashes,
    size: u64,
    index: u64,
) -> Result<Step<Vec<Hash>>, LedgerError> {
    if index >= size {
        return Err(LedgerError::OutOfRange(format!(
            "leaf {index} is not in a tree of {size} leaves"
        )));
    }
    step(known, tlog_tiles::prove_record(size, index, known))
}

/// The RFC 6962 consistency proof from the tree of `from` leaves to the tree of `to`.
pub fn consistency(
    known: &KnownHashes,
    from: u64,
    to: u64,
) -> Result<Step<Vec<Hash>>, LedgerError> {
    if from > to {
        return Err(LedgerError::OutOfRange(format!(
            "size {from} is larger than {to}"
        )));
    }
    if from == 0 || from == to {
        return Ok(Step::Done(Vec::new()));
    }
    step(known, tlog_tiles::prove_tree(to, from, known))
}

/// Runs `f` over `known`, fetching what it lacks with `fetch`, until it is done. For
/// callers that hold all hashes in memory, or can read them synchronously.
pub fn run_with<T>(
    known: &mut KnownHashes,
    mut fetch: impl FnMut(&[u64]) -> Vec<Hash>,
    f: impl Fn(&mut KnownHashes) -> Result<Step<T>, LedgerError>,
) -> Result<T, LedgerError> {
    loop {
        match f(known)? {
            Step::Done(v) => return Ok(v),
            Step::Fetch(indexes) => {
                let hashes = fetch(&indexes);
                known.extend(indexes.into_iter().zip(hashes));
            }
        }
    }
}

/// A whole log held in memory: for tests, the offline verifier and benchmarks.
#[derive(Debug, Default)]
pub struct MemoryLog {
    /// Stored hashes, by index.
    pub stored: Vec<Hash>,
    /// Number of leaves.
    pub size: u64,
}

impl MemoryLog {
    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let stored = &self.stored;
        let hashes = tlog_tiles::stored_hashes_for_record_hash(self.size, leaf, &Slice(stored))
            .expect("a memory log has every hash");
        self.stored.extend(hashes);
        self.size += 1;
    }

    /// Runs a computation (`root`, `inclusion`, `consistency`…) over this log's hashes.
    pub fn compute<T>(
        &self,
        f: impl Fn(&mut KnownHashes) -> Result<Step<T>, LedgerError>,
    ) -> Result<T, LedgerError> {
        let mut known = KnownHashes::new();
        run_with(
            &mut known,
            |idx| idx.iter().map(|&i| self.stored[i as usize]).collect(),
            f,
        )
    }

    /// A reader over the stored hashes.
    pub fn reader(&self) -> impl HashReader + '_ {
        Slice(&self.stored)
    }
}

struct Slice<'a>(&'a [Hash]);

impl HashReader for Slice<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(i as usize)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}
