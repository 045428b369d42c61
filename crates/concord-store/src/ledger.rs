//! The ledger's read side: signed checkpoints, proofs and entries, computed from the
//! hashes the store keeps. Shared by the API and the CLI.

use concord_ledger::LedgerError;
use concord_ledger::checkpoint::LogKey;
use concord_ledger::log::{self, KnownHashes, Step};
use concord_ledger::proof::{B64, ConsistencyProof, InclusionProof};

use concord_core::event::Event;
use concord_core::signatures::SignatureAudit;

use crate::verifiers::Verifiers;
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
    /// The stored ledger does not match its own entries.
    #[error("the ledger was altered: {0}")]
    Tampered(String),
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
                let cache = store.hash_cache();
                let (cached, missing) = cache.lookup(&indexes);
                known.extend(cached);
                if !missing.is_empty() {
                    let hashes = store.ledger_hashes(&missing).await?;
                    let fetched: Vec<(u64, Hash)> = missing.into_iter().zip(hashes).collect();
                    cache.remember(&fetched);
                    known.extend(fetched);
                }
            }
        }
    }
}

/// Stored hashes read per query while warming the cache.
const WARM_CHUNK: u64 = 16_384;

/// Loads the ledger's stored hashes into the store's cache, within the mirror's budget,
/// and the upper levels of the rest, so that proofs need not read the database. `serve`
/// runs it at start, in the background; returns how many hashes were loaded.
pub async fn warm(store: &dyn Store) -> Result<u64, LedgerQueryError> {
    let cache = store.hash_cache();
    let mut loaded = 0;
    let mut size;
    loop {
        // Commits made meanwhile extend the mirror only once it has caught up: read on
        // until it has.
        size = store.ledger_size().await?;
        cache.saw_size(size);
        let target = log::stored_hash_count(size).min(cache.mirror_capacity() as u64);
        let from = cache.mirrored();
        if from >= target {
            break;
        }
        let to = (from + WARM_CHUNK).min(target);
        let hashes = store.ledger_hash_range(from, to).await?;
        loaded += hashes.len() as u64;
        cache.extend_mirror(from, &hashes);
    }
    let upper = crate::hash_cache::HashCache::upper_indexes(size, cache.mirrored());
    for chunk in upper.chunks(MAX_ENTRIES as usize) {
        let hashes = store.ledger_hashes(chunk).await?;
        let pairs: Vec<(u64, Hash)> = chunk.iter().copied().zip(hashes).collect();
        cache.remember(&pairs);
        loaded += pairs.len() as u64;
    }
    Ok(loaded)
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

/// The size asked, checked to exist, or the current size. A size the ledger is already
/// known to have reached needs no database read.
async fn size_or_current(
    store: &dyn Store,
    size: Option<u64>,
    what: &str,
) -> Result<u64, LedgerQueryError> {
    if let Some(s) = size
        && s <= store.hash_cache().known_size()
    {
        return Ok(s);
    }
    let current = store.ledger_size().await?;
    store.hash_cache().saw_size(current);
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
    let size = size_or_current(store, size, "size").await?;
    if index >= size {
        return Err(LedgerQueryError::OutOfRange(format!(
            "entry {index} is not in a ledger of {size} entries (indexes start at 0)"
        )));
    }
    // Leaf, path and root in one computation: one round of fetches serves all three.
    let ((leaf, path), root) = compute(store, |k| {
        log::both(
            log::both(log::leaf(k, index), log::inclusion(k, size, index)),
            log::root(k, size),
        )
    })
    .await?;
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
    let to = size_or_current(store, to, "to").await?;
    if from > to {
        return Err(LedgerQueryError::OutOfRange(format!(
            "`from` ({from}) is larger than `to` ({to})"
        )));
    }
    let ((path, from_root), to_root) = compute(store, |k| {
        log::both(
            log::both(log::consistency(k, from, to), log::root(k, from)),
            log::root(k, to),
        )
    })
    .await?;
    Ok(ConsistencyProof {
        from_size: from,
        to_size: to,
        from_root: B64(from_root),
        to_root: B64(to_root),
        path: path.into_iter().map(B64).collect(),
    })
}

/// The entries with indexes `start..end` (at most [`MAX_ENTRIES`]), as JSON.
pub async fn entries(
    store: &dyn Store,
    start: u64,
    end: u64,
) -> Result<Vec<serde_json::Value>, LedgerQueryError> {
    check_range(start, end)?;
    store
        .ledger_entries(start, end)
        .await?
        .iter()
        .map(|body| StoreError::decode("ledger entry", body).map_err(Into::into))
        .collect()
}

fn check_range(start: u64, end: u64) -> Result<(), LedgerQueryError> {
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
    Ok(())
}

/// The entries `start..end` as `reader` may see them: a record it may not read is
/// withheld, leaving only its index and leaf hash.
pub async fn entries_for(
    store: &dyn Store,
    reader: &concord_core::releasability::Reader,
    groups: &[concord_core::releasability::SharingGroup],
    start: u64,
    end: u64,
) -> Result<Vec<serde_json::Value>, LedgerQueryError> {
    check_range(start, end)?;
    let raw = store.ledger_entries(start, end).await?;
    let mut out = Vec::with_capacity(raw.len());
    for (i, body) in raw.iter().enumerate() {
        let entry: serde_json::Value = StoreError::decode("ledger entry", body)?;
        let guard = store.guards().of_entry(store, &entry).await?;
        if crate::access::permits(&guard, reader, groups) {
            out.push(entry);
        } else {
            let leaf = B64(concord_ledger::entry::leaf_hash(body.as_bytes()));
            let leaf = serde_json::to_value(leaf).expect("hashes serialise");
            out.push(crate::access::withheld(
                start + i as u64,
                leaf.as_str().unwrap_or_default(),
            ));
        }
    }
    Ok(out)
}

/// Compares the stored hashes `stored`, from stored index `from` on, with the ones
/// recomputed from the entries.
fn compare_stored(stored: &[Hash], recomputed: &[Hash], from: u64) -> Result<(), LedgerQueryError> {
    let mismatch = stored.iter().zip(recomputed).position(|(s, m)| s != m);
    let Some(i) = mismatch else {
        return Ok(());
    };
    let (level, n) = log::split_index(from + i as u64);
    let what = if level == 0 {
        format!("the leaf hash of entry {n} does not match the entry")
    } else {
        format!(
            "stored hash {} (level {level}, node {n}) does not match the entries below it",
            from + i as u64
        )
    };
    Err(LedgerQueryError::Tampered(what))
}

/// The entries `start..end` and the stored hashes they determine (stored indexes
/// `stored_hash_count(start)..stored_hash_count(end)`), as the audit reads them.
async fn read_chunk(
    store: &dyn Store,
    start: u64,
    end: u64,
) -> Result<(Vec<String>, Vec<Hash>), LedgerQueryError> {
    if start >= end {
        return Ok((vec![], vec![]));
    }
    let bodies = store.ledger_entries(start, end).await?;
    if bodies.len() as u64 != end - start {
        return Err(LedgerQueryError::Tampered(format!(
            "entries {start}..{end} are missing"
        )));
    }
    let (from, to) = (log::stored_hash_count(start), log::stored_hash_count(end));
    let stored = store.ledger_hash_range(from, to).await?;
    Ok((bodies, stored))
}

/// What an audit found: every entry re-hashed and every stored hash matched.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditReport {
    /// Entries checked.
    pub entries: u64,
    /// Stored hashes checked.
    pub hashes: u64,
    /// The root recomputed from the entries.
    pub root: Hash,
    /// Member signatures re-verified (each position, and again inside each decision).
    pub signatures: u64,
}

/// Checks the entries from leaf `start` on: numbered in order, canonical; adds their leaf
/// hashes to `mine` and their signatures to the verifiers. False once a signature failed (its
/// error is the audit's).
fn check_entries(
    start: u64,
    bodies: &[String],
    mine: &mut concord_ledger::log::MemoryLog,
    signatures: &mut SignatureAudit,
    verifiers: &mut Verifiers,
) -> Result<bool, LedgerQueryError> {
    for (offset, body) in bodies.iter().enumerate() {
        let index = start + offset as u64;
        let mut entry: serde_json::Value = StoreError::decode("ledger entry", body)?;
        if entry["index"].as_u64() != Some(index) {
            return Err(LedgerQueryError::Tampered(format!(
                "entry {index} claims index {}",
                entry["index"]
            )));
        }
        if concord_ledger::canonical::to_vec(&entry) != body.as_bytes() {
            return Err(LedgerQueryError::Tampered(format!(
                "entry {index} is not in canonical form"
            )));
        }
        mine.push(concord_ledger::entry::leaf_hash(body.as_bytes()));
        let kind = entry["event"]["type"].as_str().unwrap_or_default();
        if concord_core::signatures::SIGNED_KINDS.contains(&kind) {
            let event: Event = serde_json::from_value(entry["event"].take()).map_err(|e| {
                LedgerQueryError::Tampered(format!("entry {index} is not a valid event: {e}"))
            })?;
            let items = signatures
                .observe(index, &event)
                .map_err(LedgerQueryError::Tampered)?;
            if !verifiers.push(items) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Re-reads every entry, checks that it is canonical and numbered in order, recomputes
/// every leaf and interior hash, and compares them with the stored ones. `progress` is told
/// how many entries of how many are done.
pub async fn audit(
    store: &dyn Store,
    mut progress: impl FnMut(u64, u64),
) -> Result<AuditReport, LedgerQueryError> {
    let size = store.ledger_size().await?;
    let mut mine = concord_ledger::log::MemoryLog::default();
    // A member state's node's log is checked against the registry the node holds (its
    // keys are registered in the secretariat's log); the secretariat's holds its own.
    let mut signatures = match crate::queries::ledger_name(store).await {
        Ok(name) if name.node.is_some() => {
            SignatureAudit::of_member_node(&store.keys().await?, &store.nodes().await?)
        }
        _ => SignatureAudit::new(),
    };
    let mut verifiers = Verifiers::start();
    let mut start = 0;
    let mut chunk = read_chunk(store, 0, MAX_ENTRIES.min(size)).await?;
    while start < size {
        let end = (start + MAX_ENTRIES).min(size);
        let (bodies, stored) = chunk;
        // The next chunk is read (by the database's own thread) while this one is
        // checked: the audit's reading, hashing and verifying all run at once.
        let next = read_chunk(store, end, (end + MAX_ENTRIES).min(size));
        let check = async {
            let compared = mine.stored.len() as u64;
            let going = check_entries(start, &bodies, &mut mine, &mut signatures, &mut verifiers)?;
            let determined = &mine.stored[compared as usize..];
            if determined.len() != stored.len() {
                return Err(LedgerQueryError::Tampered(format!(
                    "entries {start}..{end} determine {} stored hashes; {} are stored",
                    determined.len(),
                    stored.len()
                )));
            }
            compare_stored(&stored, determined, compared)?;
            Ok(going)
        };
        let (next, going) = tokio::join!(next, check);
        progress(end, size);
        if !going? {
            break;
        }
        chunk = next?;
        start = end;
    }
    let count = mine.stored.len() as u64;
    let signatures = verifiers.finish().map_err(LedgerQueryError::Tampered)?;
    let root = compute(store, |k| log::root(k, size)).await?;
    let recomputed = mine.compute(|k| log::root(k, size))?;
    if root != recomputed {
        return Err(LedgerQueryError::Tampered(
            "the root differs from the one recomputed from the entries".into(),
        ));
    }
    Ok(AuditReport {
        entries: size,
        hashes: count,
        root,
        signatures,
    })
}
