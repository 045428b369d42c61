//! A bounded in-memory cache of the ledger's upper tree levels. Stored hashes never change
//! once written (the log only grows), so any of them can be cached without invalidation;
//! only the levels above the lowest few are kept, which bounds the memory (about 1/32 of
//! the stored hashes) while a proof at any size then reads only its lowest levels from
//! the database.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use concord_ledger::log;

use crate::Hash;

/// Hashes of this level and above are cached (level 0 holds leaf hashes).
const FROM_LEVEL: u8 = 6;

/// At most this many hashes are cached (about 100 MB); beyond it, nothing more is added.
const MAX_HASHES: usize = 1 << 21;

/// The cache; each store holds one.
#[derive(Debug, Default)]
pub struct HashCache {
    upper: RwLock<HashMap<u64, Hash>>,
    size: AtomicU64,
}

impl HashCache {
    /// The cached hashes among `indexes`, and the indexes still to fetch.
    pub fn lookup(&self, indexes: &[u64]) -> (Vec<(u64, Hash)>, Vec<u64>) {
        let upper = self.upper.read().expect("the cache lock is never poisoned");
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for &i in indexes {
            match upper.get(&i) {
                Some(h) => found.push((i, *h)),
                None => missing.push(i),
            }
        }
        (found, missing)
    }

    /// Keeps the upper-level hashes among `hashes`.
    pub fn remember(&self, hashes: &[(u64, Hash)]) {
        let mut upper = self
            .upper
            .write()
            .expect("the cache lock is never poisoned");
        for &(i, h) in hashes {
            if upper.len() >= MAX_HASHES {
                return;
            }
            if log::split_index(i).0 >= FROM_LEVEL {
                upper.insert(i, h);
            }
        }
    }

    /// The stored indexes of every complete subtree at the cached levels in a log of
    /// `size` leaves: what [`crate::ledger::warm`] loads.
    pub fn cacheable(size: u64) -> Vec<u64> {
        let mut indexes = Vec::new();
        let mut level = FROM_LEVEL;
        while level < 64 && (size >> level) > 0 {
            indexes.extend((0..size >> level).map(|n| log::stored_index(level, n)));
            if indexes.len() >= MAX_HASHES {
                indexes.truncate(MAX_HASHES);
                break;
            }
            level += 1;
        }
        indexes
    }

    /// The largest ledger size seen: the ledger never shrinks, so any size up to it exists.
    pub fn known_size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }

    /// Notes a ledger size read from the database.
    pub fn saw_size(&self, size: u64) {
        self.size.fetch_max(size, Ordering::Relaxed);
    }
}
