//! What a node serves a peer: the checkpoints of every log it holds, and pages of a log as
//! the peer's state may receive them.

use concord_core::access::Guard;
use concord_core::releasability::{Reader, SharingGroup};
use concord_ledger::checkpoint::LogKey;
use concord_ledger::entry::leaf_hash;
use concord_ledger::log::{self, KnownHashes};
use concord_ledger::proof::B64;

use super::{FederationError, LeavesPage, MAX_LEAVES, MirrorHead, WireLeaf, compute_mirror};
use crate::{Hash, Store, StoreError};

/// Every log this node holds, with its latest checkpoint: its own, signed now, then the
/// ones it mirrors — each cosigned by this node as a witness (C2SP tlog-cosignature) when
/// `witness` gives its node key: it checked that checkpoint against the tree it holds, and
/// holds no larger one. What nodes exchange to catch a log that shows two histories.
pub async fn heads(
    store: &dyn Store,
    key: &LogKey,
    witness: Option<&concord_ledger::signature::SecretKey>,
) -> Result<Vec<MirrorHead>, FederationError> {
    let size = store.ledger_size().await?;
    let note = crate::ledger::checkpoint(store, key).await?;
    let mut heads = vec![MirrorHead {
        origin: key.origin().to_owned(),
        size,
        note,
    }];
    let name = concord_core::federation::cosigner_name(key.origin());
    let now = crate::projection::now().unix_timestamp().max(0) as u64;
    for mut head in store.mirror_heads().await? {
        if let Some(witness) = witness {
            head.note += &concord_ledger::cosignature::cosign(witness, &name, &head.note, now)?;
        }
        heads.push(head);
    }
    Ok(heads)
}

/// The page of log `origin` from `start` that `reader` may receive: every leaf hash, the
/// entries the access policy lets it read, and a proof to the latest checkpoint.
pub async fn page_for(
    store: &dyn Store,
    key: &LogKey,
    reader: &Reader,
    groups: &[SharingGroup],
    origin: &str,
    start: u64,
) -> Result<LeavesPage, FederationError> {
    let own = origin == key.origin();
    let (size, note) = if own {
        let size = store.ledger_size().await?;
        let root = crate::ledger::root(store, size).await?;
        (size, key.sign(size, root)?)
    } else {
        let head = store
            .mirror_heads()
            .await?
            .into_iter()
            .find(|h| h.origin == origin)
            .ok_or_else(|| FederationError::UnknownLog(origin.to_owned()))?;
        (head.size, head.note)
    };
    if start > size {
        return Err(FederationError::OutOfRange(format!(
            "leaf {start} is beyond the log `{origin}`, which holds {size} here"
        )));
    }
    let end = (start + MAX_LEAVES).min(size);
    let mut leaves = Vec::with_capacity((end - start) as usize);
    let stored: Vec<(Hash, Option<String>)> = if own {
        store
            .ledger_entries(start, end)
            .await?
            .into_iter()
            .map(|body| (leaf_hash(body.as_bytes()), Some(body)))
            .collect()
    } else {
        store
            .mirror_leaves(origin, start, end)
            .await?
            .into_iter()
            .map(|l| (l.leaf_hash, l.entry))
            .collect()
    };
    for (hash, body) in stored {
        let unheld = body.is_none();
        let entry = match body {
            Some(body) if readable(store, reader, groups, &body).await? => Some(body),
            _ => None,
        };
        leaves.push(WireLeaf {
            leaf_hash: B64(hash),
            entry,
            unheld,
        });
    }
    let consistency = if end == size || end == 0 {
        vec![]
    } else if own {
        crate::ledger::consistency(store, end, Some(size))
            .await?
            .path
    } else {
        let mut known = KnownHashes::new();
        compute_mirror(store, origin, &mut known, |k| {
            log::consistency(k, end, size)
        })
        .await?
        .into_iter()
        .map(B64)
        .collect()
    };
    Ok(LeavesPage {
        origin: origin.to_owned(),
        checkpoint: note,
        start,
        leaves,
        consistency,
    })
}

/// Whether `reader` may read the stored entry `body` (the one policy).
async fn readable(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    body: &str,
) -> Result<bool, StoreError> {
    let entry: serde_json::Value = StoreError::decode("ledger entry", body)?;
    let guard = store.guards().of_entry(store, &entry).await?;
    Ok(guard != Guard::Nobody && crate::access::permits(&guard, reader, groups))
}
