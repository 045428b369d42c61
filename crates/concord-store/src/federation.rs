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

use concord_core::access::Guard;
use concord_core::event::Event;
use concord_core::federation::{NodeRegistration, Taken, taken_from};
use concord_core::keys::KeyOwner;
use concord_core::releasability::{Reader, SharingGroup};
use concord_core::signatures::{SignatureAudit, verify_items};
use concord_ledger::LedgerError;
use concord_ledger::checkpoint::{self, LogKey};
use concord_ledger::entry::{Entry, leaf_hash};
use concord_ledger::log::{self, KnownHashes, Step};
use concord_ledger::proof::{B64, ConsistencyProof};
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
async fn compute_mirror<T>(
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

/// Who receives: this node's reader (its state on the day, or the secretariat), its
/// charter's sharing groups, and the node that owns the log being received.
pub struct Receiver<'a> {
    /// This node, reading.
    pub me: Reader,
    /// The sharing groups in force.
    pub groups: &'a [SharingGroup],
    /// The node whose log it is.
    pub log_of: &'a NodeRegistration,
    /// Where the page came from, for the record.
    pub peer: &'a str,
    /// This node's charter, which the secretariat's must equal.
    pub charter: &'a concord_core::charter::Charter,
}

/// What a checked page brought.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Brought {
    /// Leaves added.
    pub leaves: u64,
    /// Entries applied to the read tables, by leaf index.
    pub applied: Vec<(u64, Event)>,
    /// The mirrored log's size afterwards.
    pub size: u64,
    /// The checkpoint's size: more to fetch while `size < checkpoint`.
    pub checkpoint: u64,
}

/// Checks `page` and keeps it, or refuses it (recording why, with the evidence).
pub async fn receive(
    store: &dyn Store,
    receiver: &Receiver<'_>,
    page: &LeavesPage,
) -> Result<Brought, FederationError> {
    match check(store, receiver, page).await {
        Ok((received, checkpoint)) => {
            if !received.leaves.is_empty() {
                store.receive(&received).await?;
            }
            Ok(Brought {
                leaves: received.leaves.len() as u64,
                applied: received.applied,
                size: store.mirror_size(&page.origin).await?,
                checkpoint,
            })
        }
        Err(Check::Failed(store_error)) => Err(store_error),
        Err(Check::Refused { reason, evidence }) => {
            let refusal = Refusal {
                at: now(),
                peer: receiver.peer.to_owned(),
                origin: page.origin.clone(),
                reason: reason.clone(),
                evidence,
            };
            store.record_refusal(&refusal).await?;
            tracing::warn!(peer = receiver.peer, origin = %page.origin, %reason, "refused what a peer sent");
            Err(FederationError::Refused {
                peer: receiver.peer.to_owned(),
                reason,
            })
        }
    }
}

/// A check's failure: refused (the peer's fault, recorded), or this node's own.
enum Check {
    Refused { reason: String, evidence: String },
    Failed(FederationError),
}

impl<E: Into<FederationError>> From<E> for Check {
    fn from(e: E) -> Self {
        Check::Failed(e.into())
    }
}

fn refuse<T>(reason: impl Into<String>, evidence: impl Into<String>) -> Result<T, Check> {
    Err(Check::Refused {
        reason: reason.into(),
        evidence: evidence.into(),
    })
}

async fn check(
    store: &dyn Store,
    receiver: &Receiver<'_>,
    page: &LeavesPage,
) -> Result<(Received, u64), Check> {
    let origin = receiver.log_of.origin.as_str();
    if page.origin != origin {
        return refuse(
            format!("asked for the log `{origin}`, sent `{}`", page.origin),
            "",
        );
    }
    let signed = match checkpoint::verify(&page.checkpoint, &receiver.log_of.log_key) {
        Ok(c) if c.origin == origin => c,
        Ok(c) => return refuse(format!("a checkpoint of `{}`", c.origin), &page.checkpoint),
        Err(e) => {
            return refuse(
                format!("the checkpoint is not signed by the log's registered key: {e}"),
                &page.checkpoint,
            );
        }
    };
    let held = store.mirror_size(origin).await?;
    let mut known = KnownHashes::new();
    let end = page.start + page.leaves.len() as u64;
    if page.start > held {
        return refuse(
            format!(
                "sent leaves from {} when {held} are held here: a gap",
                page.start
            ),
            "",
        );
    }
    // (A page without leaves only shows a checkpoint, which may be older than what is held.)
    if !page.leaves.is_empty() && end > signed.size {
        return refuse(
            format!(
                "sent leaves {}..{end} with a checkpoint of size {}",
                page.start, signed.size
            ),
            &page.checkpoint,
        );
    }
    if signed.size <= held {
        // The checkpoint must be of the tree held here.
        let root = compute_mirror(store, origin, &mut known, |k| log::root(k, signed.size)).await?;
        if root != signed.root {
            return refuse(
                format!(
                    "two histories: a signed checkpoint of size {} whose root differs from the tree held here",
                    signed.size
                ),
                equivocation_evidence(store, origin, &page.checkpoint, signed.size).await?,
            );
        }
    } else if page.leaves.is_empty() {
        return refuse(
            format!(
                "sent no leaves with a checkpoint of size {} ({held} held here)",
                signed.size
            ),
            &page.checkpoint,
        );
    }
    // Leaves held already may come again (from the log's own node, with entries a
    // forwarding node could not give): each must be the leaf held.
    let overlap_end = end.min(held);
    let held_leaves = if page.start < overlap_end {
        store.mirror_leaves(origin, page.start, overlap_end).await?
    } else {
        vec![]
    };
    for (wire, mine) in page.leaves.iter().zip(&held_leaves) {
        if wire.leaf_hash.0 != mine.leaf_hash {
            return refuse(
                format!(
                    "leaf {} differs from the one held here: a rewritten history",
                    mine.index
                ),
                &page.checkpoint,
            );
        }
    }
    let keys = store.keys().await?;
    let mut audit = SignatureAudit::of_peer(
        origin,
        &keys,
        receiver.log_of.owner == KeyOwner::Secretariat,
    );
    // Every entry is read first: what the later ones follow (a session, a document) may
    // arrive in the same page.
    let mut parsed = Vec::with_capacity(page.leaves.len());
    let mut signed_items = Vec::new();
    for (offset, wire) in page.leaves.iter().enumerate() {
        let index = page.start + offset as u64;
        let Some(body) = &wire.entry else {
            parsed.push(None);
            continue;
        };
        if leaf_hash(body.as_bytes()) != wire.leaf_hash.0 {
            return refuse(
                format!("entry {index} does not hash to its leaf: forged or altered"),
                sent(body, &page.checkpoint),
            );
        }
        let entry: Entry<Event> = match serde_json::from_str(body) {
            Ok(e) => e,
            Err(e) => {
                return refuse(
                    format!("entry {index} is not an event: {e}"),
                    sent(body, &page.checkpoint),
                );
            }
        };
        if entry.index != index {
            return refuse(
                format!("entry {index} says it is entry {}", entry.index),
                sent(body, &page.checkpoint),
            );
        }
        match audit.observe(index, &entry.event) {
            Ok(items) => signed_items.extend(items),
            Err(why) => return refuse(why, sent(body, &page.checkpoint)),
        }
        parsed.push(Some(entry.event));
    }
    let in_page = InPage::of(parsed.iter().flatten());
    let mut leaves = Vec::with_capacity(page.leaves.len());
    let mut events = Vec::new();
    for (offset, (wire, event)) in page.leaves.iter().zip(parsed).enumerate() {
        let index = page.start + offset as u64;
        let held = held_leaves.get(offset);
        if held.is_some_and(|l| l.entry.is_some()) {
            // Held with its entry already, and applied then.
            continue;
        }
        let mut entry = None;
        if let Some(event) = event {
            // Kept only if this node's state may read it: a sender that gives more than
            // the policy allows does not put it on this node's disk.
            let guard = in_page.guard(store, &event).await?;
            if crate::access::permits(&guard, &receiver.me, receiver.groups) {
                entry = wire.entry.clone();
                events.push((index, event));
            } else {
                tracing::warn!(
                    origin,
                    index,
                    "a peer sent an entry this node may not read: kept as its hash"
                );
            }
        }
        // Without its entry: to ask again only if the sender did not hold it.
        let unheld = entry.is_none() && wire.entry.is_none() && wire.unheld;
        if let Some(mine) = held
            && entry.is_none()
            && (!mine.unheld || unheld)
        {
            // Held without its entry, and nothing learnt.
            continue;
        }
        leaves.push(MirrorLeaf {
            index,
            leaf_hash: wire.leaf_hash.0,
            entry,
            unheld,
        });
    }
    if let Err(why) = verify_items(&signed_items) {
        return refuse(why, "");
    }
    let mut hashes = Vec::new();
    for leaf in leaves.iter().filter(|l| l.index >= held) {
        let pairs = compute_mirror(store, origin, &mut known, |k| {
            log::append(k, leaf.index, leaf.leaf_hash)
        })
        .await?;
        known.extend(pairs.iter().copied());
        hashes.extend(pairs);
    }
    let root = if end > held {
        compute_mirror(store, origin, &mut known, |k| log::root(k, end)).await?
    } else {
        signed.root
    };
    let reaches = if end <= held || end == signed.size {
        root == signed.root
    } else {
        ConsistencyProof {
            from_size: end,
            to_size: signed.size,
            from_root: B64(root),
            to_root: B64(signed.root),
            path: page.consistency.clone(),
        }
        .verify()
        .is_ok()
    };
    if !reaches {
        return refuse(
            format!(
                "the leaves {}..{end} do not make the tree of the signed checkpoint (size {}): a rewritten history or a forged entry",
                page.start, signed.size
            ),
            &page.checkpoint,
        );
    }
    let mut applied = Vec::new();
    for (index, event) in events {
        match taken_from(receiver.log_of.owner, &event) {
            Taken::Applied => applied.push((index, event)),
            Taken::Compared => {
                if let Event::CharterAdopted(charter) = &event
                    && **charter != *receiver.charter
                {
                    return refuse(
                        "the secretariat's charter differs from this node's: initialise the node with the organisation's charter",
                        "",
                    );
                }
            }
            Taken::Kept => {}
        }
    }
    let received = Received {
        origin: origin.to_owned(),
        leaves,
        hashes,
        head: (end == signed.size && end >= held).then(|| MirrorHead {
            origin: origin.to_owned(),
            size: signed.size,
            note: page.checkpoint.clone(),
        }),
        applied,
        received_at: now(),
    };
    Ok((received, signed.size))
}

fn now() -> String {
    crate::projection::now()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times format")
}

/// The evidence of a refused entry: the checkpoint it came under and the entry's SHA-256,
/// never its text (a peer that sends what it should not must not put it on this disk).
fn sent(body: &str, checkpoint: &str) -> String {
    use sha2::Digest;
    format!(
        "entry sha256 {}\nunder checkpoint:\n{checkpoint}",
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    )
}

/// The evidence of two histories: the checkpoint received and the one held, as an
/// [`Equivocation`] anyone can check where the one held is of the same size.
async fn equivocation_evidence(
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

/// Why a node could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The registration is malformed.
    #[error("{0}")]
    Invalid(String),
    /// This is a member state's node: the registry is the secretariat's.
    #[error(
        "this is {0}'s node: nodes are registered on the secretariat's node, whose registry every node takes"
    )]
    NotTheRegistry(String),
    /// The store failed, or another registration was recorded meanwhile.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Registers a node in the registry (on the secretariat's node), replacing an earlier
/// registration of the same origin (a new node key). Returns the event recorded, or
/// `None` if the same registration is there already.
pub async fn register_node(
    store: &dyn Store,
    deployment: &crate::council::Deployment,
    registration: NodeRegistration,
) -> Result<Option<Event>, RegisterError> {
    if let Some(node) = &deployment.node {
        return Err(RegisterError::NotTheRegistry(node.state.to_string()));
    }
    registration
        .check(&deployment.charter)
        .map_err(RegisterError::Invalid)?;
    let same = |n: &NodeRegistration| {
        n.origin == registration.origin
            && n.owner == registration.owner
            && n.log_key == registration.log_key
            && n.node_key == registration.node_key
    };
    if store.nodes().await?.iter().any(same) {
        return Ok(None);
    }
    let expect = [crate::Expect {
        subject: "nodes".to_owned(),
        last: store.subject_head("nodes").await?,
    }];
    let event = Event::NodeRegistered(registration);
    store
        .append(std::slice::from_ref(&event), None, &expect)
        .await?;
    Ok(Some(event))
}

/// The sessions and documents a page brings, so that the entries after them in the page
/// resolve their guards before anything is stored.
struct InPage {
    sessions: std::collections::HashMap<String, Guard>,
    documents: std::collections::HashMap<String, String>,
}

impl InPage {
    fn of<'a>(events: impl Iterator<Item = &'a Event>) -> InPage {
        let mut in_page = InPage {
            sessions: Default::default(),
            documents: Default::default(),
        };
        for event in events {
            match event {
                Event::SessionRecorded(s) => {
                    in_page
                        .sessions
                        .insert(s.id.to_string(), concord_core::access::of_session(s));
                }
                Event::DocumentRecorded(d) => {
                    in_page
                        .documents
                        .insert(d.id.to_string(), d.session.to_string());
                }
                _ => {}
            }
        }
        in_page
    }

    async fn of_session(&self, store: &dyn Store, id: &str) -> Result<Guard, StoreError> {
        match self.sessions.get(id) {
            Some(g) => Ok(g.clone()),
            None => store.guards().of_session(store, id).await,
        }
    }

    /// The guard of `event`, from this page where it says, else from the store.
    async fn guard(&self, store: &dyn Store, event: &Event) -> Result<Guard, StoreError> {
        use concord_core::access::{Rule, rule};
        match rule(event) {
            Rule::Is(g) => Ok(g),
            Rule::OfSession(id) => self.of_session(store, id.as_str()).await,
            Rule::OfDocument(id) => match self.documents.get(id.as_str()) {
                Some(session) => self.of_session(store, session).await,
                None => store.guards().of_document(store, id.as_str()).await,
            },
        }
    }
}

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
