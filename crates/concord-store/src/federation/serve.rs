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

/// The cosignatures this node last gave each log it mirrors, by origin: a checkpoint asked
/// for again (the checkpoints are public, and peers ask every pull) is answered with the
/// same cosignature, so that no caller can make the node sign at will.
#[derive(Debug, Default)]
pub struct Cosignatures(std::sync::Mutex<std::collections::HashMap<String, (String, String)>>);

impl Cosignatures {
    /// The cosignature of `note` (log `origin`'s checkpoint) by `witness` as `name`: the
    /// one given before if the note has not changed, else a new one at `now`.
    pub fn of(
        &self,
        witness: &concord_ledger::signature::SecretKey,
        name: &str,
        origin: &str,
        note: &str,
        now: u64,
    ) -> Result<String, FederationError> {
        let mut given = self
            .0
            .lock()
            .expect("the cosignatures' lock is never poisoned");
        if let Some((cosigned, cosignature)) = given.get(origin)
            && cosigned == note
        {
            return Ok(cosignature.clone());
        }
        let cosignature = concord_ledger::cosignature::cosign(witness, name, note, now)?;
        given.insert(origin.to_owned(), (note.to_owned(), cosignature.clone()));
        Ok(cosignature)
    }
}

/// Every log this node holds, with its latest checkpoint: its own, signed now, then the
/// ones it mirrors — each cosigned by this node as a witness (C2SP tlog-cosignature) when
/// `witness` gives its node key: it checked that checkpoint against the tree it holds, and
/// holds no larger one. What nodes exchange to catch a log that shows two histories.
pub async fn heads(
    store: &dyn Store,
    key: &LogKey,
    witness: Option<(&concord_ledger::signature::SecretKey, &Cosignatures)>,
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
        if let Some((witness, given)) = witness {
            head.note += &given.of(witness, &name, &head.origin, &head.note, now)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_asked_for_again_gets_the_cosignature_given_before() {
        let witness = concord_ledger::signature::SecretKey::generate();
        let given = Cosignatures::default();
        let (log, _) = LogKey::generate("example.org/log").unwrap();
        let note = log.sign(3, Hash([1; 32])).unwrap();
        let first = given
            .of(&witness, "witness", log.origin(), &note, 100)
            .unwrap();
        // Asked again later: the same cosignature, not a new signature.
        assert_eq!(
            given
                .of(&witness, "witness", log.origin(), &note, 200)
                .unwrap(),
            first
        );
        let cosigned = format!("{note}{first}");
        assert_eq!(
            concord_ledger::cosignature::verify(&cosigned, "witness", &witness.public()).unwrap(),
            Some(100)
        );
        // The log grew: a new cosignature, of the new checkpoint.
        let grown = log.sign(4, Hash([2; 32])).unwrap();
        let second = given
            .of(&witness, "witness", log.origin(), &grown, 300)
            .unwrap();
        assert_ne!(second, first);
        let cosigned = format!("{grown}{second}");
        assert_eq!(
            concord_ledger::cosignature::verify(&cosigned, "witness", &witness.public()).unwrap(),
            Some(300)
        );
    }
}
