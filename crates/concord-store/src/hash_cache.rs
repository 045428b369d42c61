//! An in-memory copy of the ledger's stored hashes, so that proofs do not touch the
//! database. Stored hashes never change once written (the log only grows), so nothing is
//! ever invalidated.
//!
//! Two parts: a **mirror** of every stored hash from index 0 up, within a memory budget
//! (32 bytes a hash, about 64 bytes a leaf), loaded at `serve` start and extended by each
//! commit of this node; and, beyond the mirror, a map of the tree's upper levels (from
//! level 6), so that a proof outside the mirror reads only its lowest levels.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use concord_ledger::log;

use crate::Hash;

/// Hashes of this level and above go in the upper-level map (level 0 holds leaf hashes).
const FROM_LEVEL: u8 = 6;

/// At most this many hashes go in the upper-level map (about 100 MB).
const MAX_UPPER: usize = 1 << 21;

/// The mirror's default budget: 1 GiB, the stored hashes of about 16 million leaves.
pub const DEFAULT_MIRROR_BYTES: usize = 1 << 30;

/// The cache; each store holds one.
#[derive(Debug)]
pub struct HashCache {
    mirror: RwLock<Vec<Hash>>,
    mirror_max: AtomicUsize,
    upper: RwLock<HashMap<u64, Hash>>,
    size: AtomicU64,
}

impl Default for HashCache {
    fn default() -> Self {
        HashCache {
            mirror: RwLock::new(Vec::new()),
            mirror_max: AtomicUsize::new(DEFAULT_MIRROR_BYTES / 32),
            upper: RwLock::new(HashMap::new()),
            size: AtomicU64::new(0),
        }
    }
}

impl HashCache {
    /// Sets the mirror's memory budget in bytes (0: no mirror).
    pub fn set_mirror_budget(&self, bytes: usize) {
        self.mirror_max.store(bytes / 32, Ordering::Relaxed);
    }

    /// How many hashes the mirror may hold.
    pub fn mirror_capacity(&self) -> usize {
        self.mirror_max.load(Ordering::Relaxed)
    }

    /// How many hashes the mirror holds (stored indexes `0..len`).
    pub fn mirrored(&self) -> u64 {
        self.mirror
            .read()
            .expect("the cache lock is never poisoned")
            .len() as u64
    }

    /// Appends hashes to the mirror if they continue it exactly (stored indexes `first..`)
    /// and fit the budget; otherwise leaves it as it is.
    pub fn extend_mirror(&self, first: u64, hashes: &[Hash]) {
        let mut mirror = self
            .mirror
            .write()
            .expect("the cache lock is never poisoned");
        if mirror.len() as u64 == first && mirror.len() + hashes.len() <= self.mirror_capacity() {
            mirror.extend_from_slice(hashes);
        }
    }

    /// The cached hashes among `indexes`, and the indexes still to fetch.
    pub fn lookup(&self, indexes: &[u64]) -> (Vec<(u64, Hash)>, Vec<u64>) {
        let mirror = self
            .mirror
            .read()
            .expect("the cache lock is never poisoned");
        let upper = self.upper.read().expect("the cache lock is never poisoned");
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for &i in indexes {
            match mirror.get(i as usize).or_else(|| upper.get(&i)) {
                Some(h) => found.push((i, *h)),
                None => missing.push(i),
            }
        }
        (found, missing)
    }

    /// Keeps the upper-level hashes among `hashes` that the mirror does not hold.
    pub fn remember(&self, hashes: &[(u64, Hash)]) {
        let mirrored = self.mirrored();
        let mut upper = self
            .upper
            .write()
            .expect("the cache lock is never poisoned");
        for &(i, h) in hashes {
            if upper.len() >= MAX_UPPER {
                return;
            }
            if i >= mirrored && log::split_index(i).0 >= FROM_LEVEL {
                upper.insert(i, h);
            }
        }
    }

    /// The stored indexes at or after `from` of every complete subtree at the upper
    /// levels in a log of `size` leaves.
    pub fn upper_indexes(size: u64, from: u64) -> Vec<u64> {
        let mut indexes = Vec::new();
        let mut level = FROM_LEVEL;
        while level < 64 && (size >> level) > 0 {
            indexes.extend(
                (0..size >> level)
                    .map(|n| log::stored_index(level, n))
                    .filter(|&i| i >= from),
            );
            if indexes.len() >= MAX_UPPER {
                indexes.truncate(MAX_UPPER);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirror_grows_only_contiguously_and_within_its_budget() {
        let cache = HashCache::default();
        cache.set_mirror_budget(4 * 32);
        let h = |b: u8| Hash([b; 32]);
        cache.extend_mirror(0, &[h(0), h(1)]);
        cache.extend_mirror(3, &[h(3)]); // a gap: ignored
        assert_eq!(cache.mirrored(), 2);
        cache.extend_mirror(2, &[h(2), h(3), h(4)]); // beyond the budget: ignored
        assert_eq!(cache.mirrored(), 2);
        cache.extend_mirror(2, &[h(2)]);
        let (found, missing) = cache.lookup(&[1, 2, 9]);
        assert_eq!(found, vec![(1, h(1)), (2, h(2))]);
        assert_eq!(missing, vec![9]);
    }
}
